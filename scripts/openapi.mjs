// Writes openapi.json from the code (controllers and DTO decorators) without a database: Nest's preview
// mode registers routes without running providers. A test fails when the committed file is out of date.
// Usage: npm run openapi
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { AppModule } from '../dist/app.module.js';
import { loadConfig } from '../dist/config/config.js';
import { buildOpenApiDocument } from '../dist/docs/openapi.js';

const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), LINK_SECRET: 'x'.repeat(32), DATA_DIR: '/nonexistent' }).with({
  databaseUrl: 'postgres://unused@127.0.0.1:1/unused',
});
const app = await NestFactory.create(AppModule.forRoot(config), { preview: true, logger: false, abortOnError: false });
const document = buildOpenApiDocument(app);
writeFileSync(process.argv[2] ?? 'openapi.json', `${JSON.stringify(document, null, 2)}\n`);
await app.close();
