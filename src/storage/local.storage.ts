import { randomUUID } from 'node:crypto';
import { access, mkdir, open, readFile, rename, rm, stat, writeFile, copyFile, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Storage, StoredObject } from './storage.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Files under `<root>`; writes go to a temporary name first and are renamed into place. */
export class LocalStorage implements Storage {
  private readonly root: string;
  private readonly tmp: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.tmp = join(this.root, '.incoming');
  }

  private path(key: string): string {
    const path = resolve(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new Error(`Storage key outside the root: ${key}`);
    return path;
  }

  private async place(key: string, write: (tmpPath: string) => Promise<void>): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    await mkdir(this.tmp, { recursive: true });
    const tmpPath = join(this.tmp, randomUUID());
    try {
      await write(tmpPath);
      await rename(tmpPath, target);
    } catch (error) {
      await rm(tmpPath, { force: true });
      throw error;
    }
  }

  async putFile(key: string, path: string): Promise<void> {
    await this.place(key, async (tmpPath) => {
      try {
        await rename(path, tmpPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        await copyFile(path, tmpPath); // another file system
        await unlink(path);
      }
      await fsync(tmpPath);
    });
  }

  async putBuffer(key: string, data: Buffer): Promise<void> {
    await this.place(key, async (tmpPath) => {
      await writeFile(tmpPath, data);
      await fsync(tmpPath);
    });
  }

  async get(key: string): Promise<StoredObject | null> {
    const path = this.path(key);
    try {
      const handle = await open(path, 'r');
      const { size } = await handle.stat();
      return { stream: handle.createReadStream(), size };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async read(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    // Keys are laid out so that an image's prefix is a directory.
    await rm(this.path(prefix.replace(/\/+$/, '')), { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  }

  async check(): Promise<void> {
    await mkdir(this.tmp, { recursive: true });
    await access(this.tmp, 2 /* W_OK */);
  }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
