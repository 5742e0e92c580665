import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { startS3, startS3Process, type TestS3 } from './support/s3.js';
import { imagePrefix, originalKey, thumbnailKey } from '../src/storage/keys.js';
import { LocalStorage } from '../src/storage/local.storage.js';
import { S3Storage } from '../src/storage/s3.storage.js';
import type { Storage } from '../src/storage/storage.js';

const MiB = 1024 * 1024;

/** The same behaviour from every driver: what callers of Storage may rely on. */
describe.each([
  ['LocalStorage', 'local'],
  ['S3Storage (s3rver)', 's3'],
] as const)('Storage contract: %s', (_name, kind) => {
  let dir: string;
  let s3: TestS3 | undefined;
  let storage: Storage;
  const id = () => randomBytes(8).toString('hex');
  const tempFile = (data: Buffer) => {
    const path = join(dir, `upload-${id()}`);
    writeFileSync(path, data);
    return path;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'image-api-storage-'));
    if (kind === 'local') {
      storage = new LocalStorage(join(dir, 'files'));
    } else {
      s3 = await startS3();
      // In-process s3rver answers 500 to a listing longer than a page (see startS3Process): the paged delete
      // has its own test below.
      storage = new S3Storage({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: creds,
      });
    }
  });

  afterAll(async () => {
    if (storage instanceof S3Storage) storage.close();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is usable (check)', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
  });

  it('stores a buffer and gives the same bytes back as a stream with its size, as a buffer, and exists', async () => {
    const key = thumbnailKey(id(), 200);
    const data = randomBytes(70_000);
    await storage.putBuffer(key, data);
    const stored = await storage.get(key);
    expect(stored?.size).toBe(data.length);
    expect((await buffer(stored!.stream)).equals(data)).toBe(true);
    expect((await storage.read(key))?.equals(data)).toBe(true);
    expect(await storage.exists(key)).toBe(true);
  });

  it('answers null / false for a missing object', async () => {
    const key = originalKey(id());
    expect(await storage.get(key)).toBeNull();
    expect(await storage.read(key)).toBeNull();
    expect(await storage.exists(key)).toBe(false);
  });

  it('streams a file of more than 5 MiB up (multipart on S3) and back byte for byte, consuming the file', async () => {
    const key = originalKey(id());
    const data = randomBytes(Math.round(11.5 * MiB)); // two 8 MiB parts on S3: multipart
    const path = tempFile(data);
    await storage.putFile(key, path);
    expect(existsSync(path)).toBe(false);
    const stored = await storage.get(key);
    expect(stored?.size).toBe(data.length);
    const back = await buffer(stored!.stream);
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
  });

  it('stores a small file in one piece the same way', async () => {
    const key = originalKey(id());
    const data = randomBytes(6 * MiB);
    await storage.putFile(key, tempFile(data));
    expect((await storage.read(key))?.equals(data)).toBe(true);
  });

  it('replaces an object written again under the same key', async () => {
    const key = thumbnailKey(id(), 400);
    await storage.putBuffer(key, Buffer.from('first'));
    await storage.putBuffer(key, Buffer.from('second'));
    expect((await storage.read(key))?.toString()).toBe('second');
  });

  it('deletes every object under a prefix and nothing of a neighbour', async () => {
    const imageId = id();
    const neighbour = `${imageId}0`; // "images/<id>0/" starts with "images/<id>" but not with "images/<id>/"
    const keys = [
      originalKey(imageId),
      ...[100, 200, 300, 400, 500, 600, 700, 800, 900].map((h) => thumbnailKey(imageId, h)),
    ];
    for (const key of keys) await storage.putBuffer(key, randomBytes(100));
    await storage.putBuffer(originalKey(neighbour), Buffer.from('keep'));

    await storage.deletePrefix(imagePrefix(imageId));

    for (const key of keys) expect(await storage.exists(key)).toBe(false);
    expect((await storage.read(originalKey(neighbour)))?.toString()).toBe('keep');
    await expect(storage.deletePrefix(imagePrefix(id()))).resolves.toBeUndefined(); // nothing there: no error
  });
});

const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('S3Storage start-up check', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(() => s3.close());

  it('names a missing bucket in one line', async () => {
    const storage = new S3Storage({
      bucket: 'no-such-bucket',
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: creds,
    });
    try {
      await expect(storage.check()).rejects.toThrow(
        `S3 bucket "no-such-bucket" at ${s3.endpoint} does not exist (create it first)`,
      );
    } finally {
      storage.close();
    }
  });

  it('says when the endpoint cannot be reached', async () => {
    await s3.close();
    const storage = new S3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: creds,
    });
    try {
      await expect(storage.check()).rejects.toThrow(
        /^S3 bucket "images" at http:\/\/127\.0\.0\.1:\d+ is not reachable \(/,
      );
    } finally {
      storage.close();
      s3 = await startS3(); // for afterAll
    }
  });
});

describe('S3Storage deletes over several listing pages', () => {
  let s3: TestS3;
  let storage: S3Storage;
  beforeAll(async () => {
    s3 = await startS3Process();
    storage = new S3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: creds,
    });
  });
  afterAll(async () => {
    storage?.close();
    await s3?.close();
  });

  it('removes all of 1005 objects under a prefix (a listing page holds 1000)', async () => {
    const imageId = randomBytes(8).toString('hex');
    const keys = Array.from({ length: 1005 }, (_, i) => thumbnailKey(imageId, i + 1));
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => storage.putBuffer(key, Buffer.from('x'))));
    }
    await storage.putBuffer(originalKey(`${imageId}0`), Buffer.from('keep'));

    await storage.deletePrefix(imagePrefix(imageId));

    for (const key of [keys[0]!, keys[999]!, keys[1000]!, keys[1004]!]) expect(await storage.exists(key)).toBe(false);
    expect(await storage.exists(originalKey(`${imageId}0`))).toBe(true);
  });
});
