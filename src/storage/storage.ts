import type { Readable } from 'node:stream';

export interface StoredObject {
  stream: Readable;
  size: number;
}

/**
 * Where files live. Keys come from ids only (see keys.ts), never from anything a client sent.
 * Writes are atomic: a reader sees the whole object or none.
 */
export abstract class Storage {
  /** Moves a local file into storage under `key` (the file is consumed). */
  abstract putFile(key: string, path: string): Promise<void>;
  abstract putBuffer(key: string, data: Buffer): Promise<void>;
  /** The object as a stream, or null when it does not exist. */
  abstract get(key: string): Promise<StoredObject | null>;
  abstract read(key: string): Promise<Buffer | null>;
  abstract exists(key: string): Promise<boolean>;
  /** Removes every object whose key starts with `prefix`; absent objects are not an error. */
  abstract deletePrefix(prefix: string): Promise<void>;
  /** Throws when storage cannot be used (health check). */
  abstract check(): Promise<void>;
}
