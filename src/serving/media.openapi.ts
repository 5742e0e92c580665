import type { OpenAPIObject } from '@nestjs/swagger';
import { errorDescription } from '../common/api-errors.decorator.js';
import { MEDIA_ROUTES } from '../links/media-url.js';

type Paths = OpenAPIObject['paths'];
type PathItemObject = Paths[string];
type ParameterObject = Exclude<NonNullable<NonNullable<PathItemObject['get']>['parameters']>[number], { $ref: string }>;

const TYPES = ['image/png', 'image/jpeg'];
const each = (schema: object) => Object.fromEntries(TYPES.map((type) => [type, { schema }]));
const pathParam = (name: string, extra: Partial<ParameterObject> = {}): ParameterObject => ({
  name,
  required: true,
  in: 'path',
  ...extra,
});
const fileParam = (example: string) =>
  pathParam('file', { description: '{variant}.{png|jpg}', schema: { example, type: 'string' } });

function operation(
  operationId: string,
  summary: string,
  parameters: ParameterObject[],
  errors: number[],
): PathItemObject {
  const responses: NonNullable<PathItemObject['get']>['responses'] = {
    200: { description: 'The image file', content: each({ type: 'string', format: 'binary' }) },
    304: { description: 'Not modified (If-None-Match matched the ETag)' },
  };
  for (const status of errors) {
    responses[status] = {
      description: errorDescription(status),
      content: each({ $ref: '#/components/schemas/ErrorDto' }),
    };
  }
  return { get: { operationId, parameters, responses, summary, tags: ['media'] } };
}

/**
 * The `/media` links in the OpenAPI document. They are served by a plain node:http handler (the one entry
 * point, media-request-handler.ts), which Nest's scanner cannot see, so their description lives here.
 */
export const MEDIA_OPENAPI_PATHS: Paths = {
  [toOpenApi(MEDIA_ROUTES.expiring, 'token')]: operation(
    'Media_serveExpiring',
    'An expiring link (from POST /api/images/{id}/expiring-links): no auth until expiresAt',
    [pathParam('token', { schema: { type: 'string' } }), fileParam('original.jpg')],
    [403, 404, 410],
  ),
  [toOpenApi(MEDIA_ROUTES.permanent, 'imageId', 'signature')]: operation(
    'Media_servePermanent',
    'A permanent link from an Image’s links: no auth, while the owner’s tier grants it',
    [
      pathParam('imageId', { schema: { type: 'string' } }),
      pathParam('signature', { schema: { type: 'string' } }),
      fileParam('200.jpg'),
    ],
    [403, 404],
  ),
};

/** `/media/:id/:sig/:file` → `/media/{imageId}/{signature}/{file}` with the documented parameter names. */
function toOpenApi(route: string, ...names: string[]): string {
  let i = 0;
  return route.replace(/:(\w+)/g, (_match, name: string) => `{${name === 'file' ? 'file' : names[i++]}}`);
}
