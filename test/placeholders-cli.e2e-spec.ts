import { rmSync } from 'node:fs';
import { thumbHashToApproximateAspectRatio } from 'thumbhash';
import { JobQueue } from '../src/jobs/job-queue.js';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';
import { childEnv, runNode } from './support/process.js';

/** `npm run cli -- placeholders`: images stored before placeholders get theirs, once, from their original. */
describe('CLI placeholders', () => {
  let t: TestApp;
  let dataDir: string;

  afterAll(async () => {
    await t.db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fills the missing placeholders from the originals, skips an image whose original is gone, then has nothing to do', async () => {
    t = await bootApp();
    dataDir = t.config.dataDir;
    const token = await t.login('old-images', { tier: 'Premium' });
    const upload = async (data: Buffer) =>
      (await t.http().post('/api/images').auth(token, { type: 'bearer' }).attach('file', data, 'a.jpg').expect(201))
        .body as { id: string; placeholder: string };
    const wide = await upload(await fixtures.jpeg(400, 200));
    const tall = await upload(await fixtures.png(150, 300));
    const gone = await upload(await fixtures.png(50, 50));
    expect(wide.placeholder).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // As if stored before placeholders existed (once the background AVIF jobs, which fill one too, are done);
    // and one original lost.
    await t.app.get(JobQueue).drain();
    await t.dataSource.query(`UPDATE images SET placeholder = NULL`);
    rmSync(`${dataDir}/files/images/${gone.id}/original`, { force: true });
    await t.close({ keepDatabase: true, keepData: true });

    const env = { ...childEnv({ DATA_DIR: dataDir }), DATABASE_URL: t.db.url };
    const first = await runNode('dist/cli/main.js', ['placeholders'], env);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout.trim()).toBe('Placeholders: 2 made, 1 skipped (see the warnings above)');
    expect(first.stderr).toContain(`Image ${gone.id} skipped`);

    const again = await runNode('dist/cli/main.js', ['placeholders'], env);
    expect(again.stdout.trim()).toBe('Placeholders: 0 made, 1 skipped (see the warnings above)');

    t = await bootApp({ db: t.db, dataDir });
    const rows: Array<{ id: string; placeholder: string | null }> = await t.dataSource.query(
      `SELECT id, placeholder FROM images`,
    );
    const of = (id: string) => rows.find((row) => row.id === id)!.placeholder;
    const ratio = (id: string) => thumbHashToApproximateAspectRatio(Buffer.from(of(id)!, 'base64'));
    expect(ratio(wide.id)).toBeCloseTo(2, 0);
    expect(ratio(tall.id)).toBeCloseTo(0.5, 0);
    expect(of(gone.id)).toBeNull();
    await t.close({ keepDatabase: true, keepData: true });
  });

  it('takes no arguments', async () => {
    const result = await runNode('dist/cli/main.js', ['placeholders', 'extra'], childEnv({}));
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('placeholders takes no arguments (see npm run cli -- --help)');
  });
});
