import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import { UploadSpool } from './upload-spool.js';

describe('UploadSpool', () => {
  let dataDir: string;
  let spool: UploadSpool;
  const now = new Date('2026-11-23T12:00:00Z');

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-spool-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      JWT_SECRET: 'x'.repeat(32),
      LINK_SECRET: 'y'.repeat(32),
    });
    spool = new UploadSpool(config, { now: () => now });
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('lives in DATA_DIR/uploads and creates it', async () => {
    expect(spool.dir).toBe(join(dataDir, 'uploads'));
    expect(await spool.list()).toEqual([]);
  });

  it('sweeps files older than an hour at start-up and keeps those that may be in flight', async () => {
    const old = join(spool.dir, 'old');
    const recent = join(spool.dir, 'recent');
    writeFileSync(old, 'x');
    writeFileSync(recent, 'y');
    const twoHoursAgo = new Date(now.getTime() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    utimesSync(recent, now, now);
    await spool.onApplicationBootstrap();
    expect(await spool.list()).toEqual(['recent']);
  });

  it('removes a file, and a missing one or none without complaint', async () => {
    const path = join(spool.dir, 'f');
    writeFileSync(path, 'x');
    await spool.remove(path);
    await spool.remove(path);
    await spool.remove(undefined);
    expect(await spool.list()).toEqual([]);
  });
});
