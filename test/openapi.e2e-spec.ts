import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { MEDIA_OPENAPI_PATHS } from '../src/serving/media.openapi.js';
import { bootApp, type TestApp } from './support/app.js';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document walked freely by assertions
  let document: Record<string, any>;

  beforeAll(async () => {
    t = await bootApp();
    document = (await t.http().get('/api/docs-json').expect(200)).body;
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(structuredClone(document));
    expect(result).toEqual({ valid: true });
    // and the validator does refuse a broken one
    expect((await new Validator().validate({ ...document, paths: { '/x': { get: { responses: 42 } } } })).valid).toBe(
      false,
    );
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', () => {
    expect(document).toEqual(JSON.parse(readFileSync('openapi.json', 'utf8')));
  });

  it('documents every route the application registers', () => {
    const router = (t.app.getHttpAdapter().getInstance() as { router: { stack: RouteLayer[] } }).router;
    const registered = router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route!.methods)
          .filter((method) => method !== '_all')
          .map((method) => `${method} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`),
      )
      .filter((route) => !/ \/(admin|api\/docs)/.test(route))
      // Nest mounts middleware for every path (nestjs-pino's request context) as a catch-all route.
      .filter((route) => !route.endsWith(' {/*splat}'));
    // The /media links are answered ahead of the router, by the one handler whose description is MEDIA_OPENAPI_PATHS.
    const aheadOfRouter = Object.entries(MEDIA_OPENAPI_PATHS).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    const documented = Object.entries(document.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(registered.length).toBeGreaterThanOrEqual(9);
    expect(aheadOfRouter).toEqual(['get /media/x/{token}/{file}', 'get /media/{imageId}/{signature}/{file}']);
    expect(new Set(documented)).toEqual(new Set([...registered, ...aheadOfRouter]));
  });

  it('documents auth, errors, the upload form and binary link responses', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const upload = document.paths['/api/images'].post;
    expect(upload.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(upload.responses).sort()).toEqual(['201', '400', '401', '413', '415', '429', '503']);
    expect(document.components.schemas.UploadImageDto.properties.file).toEqual(
      expect.objectContaining({ type: 'string', format: 'binary' }),
    );
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data']);
    for (const path of [
      '/api/auth/token',
      '/api/auth/refresh',
      '/api/health',
      '/media/{imageId}/{signature}/{file}',
      '/media/x/{token}/{file}',
    ]) {
      const operation = Object.values(document.paths[path])[0] as { security?: unknown };
      expect({ path, security: operation.security }).toEqual({ path, security: undefined });
    }
    expect(document.paths['/media/x/{token}/{file}'].get.responses['200'].content['image/jpeg'].schema).toEqual({
      type: 'string',
      format: 'binary',
    });
    expect(Object.keys(document.paths['/media/x/{token}/{file}'].get.responses).sort()).toEqual([
      '200',
      '304',
      '403',
      '404',
      '410',
    ]);
    expect(document.components.schemas.ErrorDto.required).toEqual(['statusCode', 'error', 'message']);
    expect(
      document.paths['/api/images/{id}/expiring-links'].post.requestBody.content['application/json'].schema,
    ).toEqual({ $ref: '#/components/schemas/CreateExpiringLinkDto' });
  });

  it('serves Swagger UI (assets from the package, no CDN) and the YAML document', async () => {
    const html = await t.http().get('/api/docs').expect(200);
    expect(html.text).toContain('swagger-ui');
    expect(html.text).not.toMatch(/https?:\/\/(cdn|unpkg)/);
    const yaml = await t.http().get('/api/docs-yaml').expect(200);
    expect(yaml.text).toMatch(/^openapi: 3\./m);
  });
});
