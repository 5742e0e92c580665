import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageEngine } from 'multer';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/config.js';

/** A spooled upload: where its bytes are until storage takes them (a rename: same file system). */
export interface SpooledFile {
  path: string;
  size: number;
}

export interface SpoolEngineOptions {
  /**
   * Called once when the file part passes the parser's size limit (`limit` undefined) or the request's own
   * smaller limit (`fileLimit`); `removed` settles once its file is gone.
   */
  onTooLarge?: (request: Request, removed: Promise<void>, limit?: number) => void;
  /** A limit of this request's own below the parser's (the caller's tier), counted on the bytes as they come. */
  fileLimit?: (request: Request) => number | undefined;
}

/**
 * The upload spool: `DATA_DIR/uploads`, next to local storage so that storing is a rename. Files get
 * names of our own (never the client's), are opened only once the parser has accepted the part (the
 * `file` field, on an authenticated request), and go again when the request fails or is cut, when the
 * upload is done, and at start-up (files left by a process that died mid-request).
 */
@Injectable()
export class UploadSpool implements OnApplicationBootstrap {
  private readonly logger = new Logger(UploadSpool.name);
  readonly dir: string;

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.dir = join(config.dataDir, 'uploads');
    mkdirSync(this.dir, { recursive: true });
  }

  /** A multer storage engine writing into the spool. */
  engine(options: SpoolEngineOptions = {}): StorageEngine {
    return {
      _handleFile: (request, file, callback) => {
        const path = join(this.dir, randomUUID());
        const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
        let settled = false;
        const fail = (error: Error) => {
          if (settled) return;
          settled = true;
          file.stream.unpipe(out);
          out.destroy();
          void this.remove(path).finally(() => callback(error));
        };
        // Over the limit: stop writing (the part itself ends only with the body), drop the file, then answer,
        // so that by the time the client reads the 413 nothing of it is left.
        const tooLarge = (limit?: number) => {
          if (settled) return;
          settled = true;
          file.stream.unpipe(out);
          file.stream.resume();
          const removed = new Promise<void>((resolve) =>
            out.once('close', () => void this.remove(path).finally(resolve)),
          );
          out.end();
          options.onTooLarge?.(request, removed, limit);
          void removed.then(() => callback(new Error('File too large')));
        };
        file.stream.once('limit', () => tooLarge());
        file.stream.once('error', fail);
        out.once('error', fail);
        // A request cut mid-file (client gone, idle timeout) never ends the part: drop the file at once.
        request.once('close', () => {
          if (!request.readableEnded) fail(new Error('Request closed'));
        });
        out.once('finish', () => {
          if (settled) return;
          settled = true;
          callback(null, {
            destination: this.dir,
            filename: path.slice(this.dir.length + 1),
            path,
            size: out.bytesWritten,
          });
        });
        file.stream.pipe(out);
        // The request's own limit, counted after the pipe has taken each chunk (so no write follows the end).
        const own = options.fileLimit?.(request);
        if (own !== undefined) {
          let counted = 0;
          const count = (data: Buffer) => {
            counted += data.length;
            if (counted <= own) return;
            file.stream.off('data', count);
            tooLarge(own);
          };
          file.stream.on('data', count);
        }
      },
      _removeFile: (_request, file, callback) => {
        this.remove(file.path).then(() => callback(null), callback);
      },
    };
  }

  /** Removes a spooled file; a missing one is not an error. */
  async remove(path: string | undefined): Promise<void> {
    if (path) await rm(path, { force: true });
  }

  /** Spooled files right now (tests and diagnostics). */
  async list(): Promise<string[]> {
    return readdir(this.dir).catch(() => []);
  }

  /** Removes files left by a process that died mid-request (older than an hour: not in flight). */
  async onApplicationBootstrap(): Promise<void> {
    const cutoff = this.clock.now().getTime() - 3600_000;
    let removed = 0;
    for (const name of await this.list()) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) {
        await rm(path, { force: true });
        removed++;
      }
    }
    if (removed) this.logger.log(`Removed ${removed} abandoned upload file(s) from ${this.dir}`);
  }
}
