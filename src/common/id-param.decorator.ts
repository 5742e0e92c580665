import { applyDecorators, BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

/** The `:id` path parameter: a UUID (400 otherwise). */
export const IdParam = () => Param('id', uuid);

/** Documents the `:id` path parameter. */
export const ApiIdParam = () => applyDecorators(ApiParam({ name: 'id', format: 'uuid', description: 'The image id' }));
