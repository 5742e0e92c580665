import { LRUCache } from 'lru-cache';

/**
 * Small files served often (thumbnails) kept in memory, bounded by bytes. The bytes of (image, variant) never
 * change, so an entry is only ever dropped when its image is deleted (or to make room).
 */
export class HotFiles {
  private readonly cache?: LRUCache<string, Buffer>;
  private readonly keysByImage = new Map<string, Set<string>>();
  /** Bumped by every forget: a file read before a deletion arrived is not kept after it. */
  private epoch = 0;

  constructor(
    maxBytes: number,
    /** Larger files are streamed from storage, never kept. */
    readonly maxFileBytes: number,
  ) {
    if (maxBytes <= 0) return;
    this.cache = new LRUCache<string, Buffer>({
      maxSize: maxBytes,
      sizeCalculation: (data) => Math.max(1, data.length),
      dispose: (_data, key) => {
        const imageId = key.slice(0, key.indexOf('/'));
        const keys = this.keysByImage.get(imageId);
        keys?.delete(key);
        if (keys?.size === 0) this.keysByImage.delete(imageId);
      },
    });
  }

  /** Whether a file of this size is worth keeping. */
  fits(size: number): boolean {
    return !!this.cache && size <= this.maxFileBytes;
  }

  /** `format`: a thumbnail in another format than the original's (each format is its own entry). */
  get(imageId: string, variant: string, format?: string | null): Buffer | undefined {
    return this.cache?.get(format ? `${imageId}/${variant}.${format}` : `${imageId}/${variant}`);
  }

  /** The moment to pass to set() for a file about to be read. */
  now(): number {
    return this.epoch;
  }

  /** Keeps a file read since `readAt` (from now()), unless an image was deleted meanwhile. */
  set(imageId: string, variant: string, data: Buffer, readAt = this.epoch, format?: string | null): void {
    if (!this.cache || !this.fits(data.length) || readAt !== this.epoch) return;
    const key = format ? `${imageId}/${variant}.${format}` : `${imageId}/${variant}`;
    this.cache.set(key, data);
    if (!this.cache.has(key)) return;
    let keys = this.keysByImage.get(imageId);
    if (!keys) this.keysByImage.set(imageId, (keys = new Set()));
    keys.add(key);
  }

  forget(imageId: string): void {
    this.epoch++;
    for (const key of [...(this.keysByImage.get(imageId) ?? [])]) this.cache?.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.cache?.clear();
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.cache?.size ?? 0, bytes: this.cache?.calculatedSize ?? 0 };
  }
}
