import '../admin-env.js'; // before adminjs
import type { ActionResponse } from 'adminjs';
import type { ExpiringLinksService } from '../../expiring-links/expiring-links.service.js';
import type { ImagesService } from '../../images/images.service.js';
import type { PermanentLinks } from '../../links/permanent-links.js';
import type { Clock } from '../../common/clock.js';
import type { PrincipalCache } from '../../auth/principal-cache.service.js';
import type { TiersService } from '../../tiers/tiers.service.js';
import type { UsersService } from '../../users/users.service.js';
import { stripEverywhere } from '../hooks.js';

/** The services the panel reads and writes through: it never writes rows itself. */
export interface AdminDeps {
  users: UsersService;
  tiers: TiersService;
  images: ImagesService;
  links: PermanentLinks;
  grants: PrincipalCache;
  expiringLinks: ExpiringLinksService;
  clock: Clock;
}

export const READ_ONLY = { isVisible: { list: true, show: true, edit: false, filter: true } };
export const NO_FORMS = {
  new: { isAccessible: false, isVisible: false },
  edit: { isAccessible: false, isVisible: false },
};

/** A flat form value that means "nothing chosen" (empty, or AdminJS's placeholder). */
export const isUnset = (value: unknown): boolean =>
  value === undefined || value === null || value === '' || String(value).startsWith('__FORM_VALUE_');

/** A boolean form value: AdminJS sends true/false or "true"/"false". */
export const formBoolean = (value: unknown): boolean => value === true || value === 'true';

/** Runs after every action of every resource: the password hash never reaches the browser. */
export const stripSecrets = async (response: ActionResponse): Promise<ActionResponse> => {
  await stripEverywhere(response, 'passwordHash', 'password');
  return response;
};
