import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { MEDIA_OPENAPI_PATHS } from '../serving/media.openapi.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const DOCS_PATH = 'api/docs';

/** The OpenAPI 3 document, generated from the controllers and DTO decorators, plus the /media links. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Image API')
    .setDescription(
      'Upload PNG and JPEG images and share them through signed links whose sizes follow the owner’s tier.\n\n' +
        '1. `POST /api/auth/token` with your username and password (Try it out), copy `accessToken`.\n' +
        '2. Press **Authorize**, paste the token, Authorize.\n' +
        '3. `POST /api/images` with a file; open the links in the response in a new tab.\n\n' +
        'Errors are `{statusCode, error, message}`.',
    )
    .setVersion(version)
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The accessToken from POST /api/auth/token',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.paths = withMediaPaths(document.paths);
  return document;
}

/** Swagger UI at /api/docs (assets served from swagger-ui-dist, offline), JSON and YAML next to it. */
export function setupDocs(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
    yamlDocumentUrl: 'api/docs-yaml',
    customSiteTitle: 'Image API',
    swaggerOptions: { persistAuthorization: true, tryItOutEnabled: false, displayRequestDuration: true },
  });
}

/** The /media links (served outside Nest's router) where their controller used to stand: before /api/health. */
function withMediaPaths(paths: OpenAPIObject['paths']): OpenAPIObject['paths'] {
  const entries = Object.entries(paths);
  const at = entries.findIndex(([path]) => path === '/api/health');
  entries.splice(at === -1 ? entries.length : at, 0, ...Object.entries(MEDIA_OPENAPI_PATHS));
  return Object.fromEntries(entries);
}
