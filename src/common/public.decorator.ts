import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Opens a route to requests without an access token (the auth guard is global). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
