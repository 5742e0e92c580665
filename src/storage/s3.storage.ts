import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { S3Config } from '../config/config.js';
import type { Storage, StoredObject } from './storage.js';

/** Multipart parts of 8 MiB (S3's minimum is 5 MiB); smaller files go up in one PUT. */
const PART_SIZE = 8 * 1024 * 1024;
/** DeleteObjects takes at most 1000 keys, and a ListObjectsV2 page holds at most 1000. */
const DELETE_BATCH = 1000;
const CHECK_TIMEOUT_MS = 5000;

const statusOf = (error: unknown) => (error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined);
const isNotFound = (error: unknown) =>
  statusOf(error) === 404 || (error instanceof S3ServiceException && /^(NoSuchKey|NotFound)$/.test(error.name));

/**
 * Objects in one bucket (AWS S3, MinIO or any S3-protocol server). Keys come from keys.ts. An object appears
 * whole or not at all (S3 PUTs and completed multipart uploads are atomic), as the Storage contract wants.
 */
export class S3Storage implements Storage {
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(private readonly config: S3Config) {
    this.bucket = config.bucket;
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
      // The SDK's default (a CRC32 trailer with aws-chunked bodies) is stored verbatim, chunk signatures and all,
      // by some S3-protocol servers (s3rver): checksums only where an operation requires them (STACK.md trap 12).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
    });
  }

  /** Streams the file up (multipart above PART_SIZE), then removes it. */
  async putFile(key: string, path: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: createReadStream(path) },
      partSize: PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
    });
    await upload.done();
    await unlink(path).catch(() => undefined);
  }

  async putBuffer(key: string, data: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data }));
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { stream: out.Body as Readable, size: out.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /**
   * Lists the first page under the prefix and deletes it in one DeleteObjects call, until a listing comes back
   * empty. Always listing from the start (no continuation token) keeps working while the listed objects vanish,
   * and also removes objects written under the prefix meanwhile (a thumbnail job finishing during the delete).
   */
  async deletePrefix(prefix: string): Promise<void> {
    let previous: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: DELETE_BATCH }),
      );
      const keys = (page.Contents ?? []).map((object) => ({ Key: object.Key! }));
      if (keys.length === 0) return;
      const signature = keys.map((k) => k.Key).join('\n');
      if (signature === previous) throw new Error(`Objects under ${prefix} are still listed after their deletion`);
      previous = signature;
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
      );
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `Could not delete ${failed.length} object(s) under ${prefix}: ${failed[0]!.Key} ${failed[0]!.Code ?? ''}`,
        );
      }
    }
  }

  /** The bucket exists and these credentials may use it; throws a one-line explanation otherwise. */
  async check(): Promise<void> {
    const where = `S3 bucket "${this.bucket}"${this.config.endpoint ? ` at ${this.config.endpoint}` : ''}`;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      });
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) throw new Error(`${where} does not exist (create it first)`);
      if (status === 401 || status === 403) {
        throw new Error(`${where}: access denied (check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY)`);
      }
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`${where} is not reachable (${status ? `HTTP ${status}, ` : ''}${reason})`);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
