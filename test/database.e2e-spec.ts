import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source.js';
import { migrations } from '../src/database/migrations/index.js';
import { STARTUP_LOCK } from '../src/database/startup-lock.js';
import { bootApp } from './support/app.js';
import { createTestDatabase } from './support/database.js';

describe('database', () => {
  it('migrations build exactly the schema the entities describe (no drift)', async () => {
    const t = await bootApp();
    try {
      const pending = await t.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('seeds built-in sizes and tiers once, never overwriting an administrator’s edits, and the configured admin', async () => {
    const db = await createTestDatabase();
    const env = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password' };
    let t = await bootApp({ db, env });
    const tiers = () =>
      t.dataSource.query(
        `SELECT t.name, t."originalLink", t."expiringLinks", array_agg(s.height ORDER BY s.height) AS heights
           FROM tiers t JOIN tier_sizes ts ON ts."tierId" = t.id JOIN sizes s ON s.id = ts."sizeId"
          GROUP BY t.id ORDER BY t.id`,
      );
    expect(await tiers()).toEqual([
      { name: 'Basic', originalLink: false, expiringLinks: false, heights: [200] },
      { name: 'Premium', originalLink: true, expiringLinks: false, heights: [200, 400] },
      { name: 'Enterprise', originalLink: true, expiringLinks: true, heights: [200, 400] },
    ]);
    await t.http().post('/api/auth/token').send({ username: 'root', password: 'root-password' }).expect(200);

    await t.dataSource.query(`UPDATE tiers SET "originalLink" = true WHERE name = 'Basic'`);
    await t.dataSource.query(`INSERT INTO sizes (height) VALUES (800)`);
    await t.close({ keepDatabase: true });

    t = await bootApp({ db, env: { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'a-new-password' } });
    try {
      expect((await tiers())[0]).toEqual({ name: 'Basic', originalLink: true, expiringLinks: false, heights: [200] });
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM tiers`)).toEqual([{ n: 3 }]);
      expect(await t.dataSource.query(`SELECT height FROM sizes ORDER BY height`)).toEqual([
        { height: 200 },
        { height: 400 },
        { height: 800 },
      ]);
      // an existing admin account is never reset from the environment
      await t.http().post('/api/auth/token').send({ username: 'root', password: 'root-password' }).expect(200);
    } finally {
      await t.close();
    }
  });

  it('waits for another instance’s start-up for as long as it takes, and leaves every pooled connection its timeouts', async () => {
    const db = await createTestDatabase();
    const holder = new DataSource(dataSourceOptions(db.url));
    await holder.initialize();
    const runner = holder.createQueryRunner();
    await runner.connect();
    // Another instance migrating for longer than this one's client allows a query (statement 1 s + 1 s).
    await runner.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK]);
    const env = { DB_STATEMENT_TIMEOUT_MS: '1000' };
    const booting = bootApp({ db, env });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await runner.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK]);
    await runner.release();
    await holder.destroy();
    const t = await booting;
    try {
      // Every connection in the application's pool, as requests get them: none without a statement timeout.
      const pool = (t.dataSource.driver as unknown as { master: import('pg').Pool }).master;
      const clients = await Promise.all(Array.from({ length: Math.max(pool.totalCount, 1) }, () => pool.connect()));
      try {
        for (const client of clients) {
          const [row] = (await client.query<{ statement_timeout: string }>('SHOW statement_timeout')).rows;
          expect(row?.statement_timeout).toBe('1s');
        }
      } finally {
        for (const client of clients) client.release();
      }
    } finally {
      await t.close();
    }
  });

  it('lets several instances start on one empty database at once: one migrates and seeds, the others wait', async () => {
    const db = await createTestDatabase();
    const logged = jest.spyOn(Logger.prototype, 'log');
    const env = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password' };
    const instances = await Promise.all([bootApp({ db, env }), bootApp({ db, env }), bootApp({ db, env })]);
    const check = new DataSource(dataSourceOptions(db.url));
    await check.initialize();
    try {
      expect(await check.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: migrations.length }]);
      expect(await check.query(`SELECT count(*)::int AS n FROM tiers`)).toEqual([{ n: 3 }]);
      expect(await check.query(`SELECT username, "isAdmin" FROM users`)).toEqual([{ username: 'root', isAdmin: true }]);
      // Each creation is reported once, by the instance that made it: the others found it done.
      const created = logged.mock.calls.map(([message]) => String(message)).filter((m) => m.startsWith('Created the'));
      expect(created.sort()).toEqual([
        'Created the administrator root',
        'Created the built-in tier Basic',
        'Created the built-in tier Enterprise',
        'Created the built-in tier Premium',
      ]);
      await instances[2]
        .http()
        .post('/api/auth/token')
        .send({ username: 'root', password: 'root-password' })
        .expect(200);
    } finally {
      logged.mockRestore();
      await check.destroy();
      for (const t of instances) await t.close({ keepDatabase: true });
      await db.drop();
    }
  });
});
