// Prints the SQL that would bring a freshly migrated database to what the entities describe: the body of the
// next migration. Empty output means migrations and entities agree (a test checks this too).
// Usage: npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node scripts/migration-diff.mjs
import 'reflect-metadata';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../dist/database/data-source.js';

const server = process.env.DATABASE_URL;
if (!server) throw new Error('Set DATABASE_URL to a PostgreSQL server where a scratch database may be created');
const name = `migration_diff_${process.pid}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(server);
url.pathname = `/${name}`;
const dataSource = new DataSource(dataSourceOptions(url.toString()));
try {
  await dataSource.initialize();
  await dataSource.runMigrations();
  const { upQueries, downQueries } = await dataSource.driver.createSchemaBuilder().log();
  for (const q of upQueries) console.log(`up:   ${q.query};`);
  for (const q of downQueries.reverse()) console.log(`down: ${q.query};`);
} finally {
  await dataSource.destroy().catch(() => undefined);
  await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
  await admin.end();
}
