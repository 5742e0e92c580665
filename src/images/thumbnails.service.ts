import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { Readable } from 'node:stream';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/config.js';
import { JobQueue, type RunningJob } from '../jobs/job-queue.js';
import type { ExtraFormat, ImageFormat, ThumbnailFormat } from '../media/image-format.js';
import { Metrics } from '../observability/metrics.js';
import { ImageProcessor } from '../media/image-processor.js';
import { imagePrefix, originalKey } from '../storage/keys.js';
import { Storage, type StoredObject } from '../storage/storage.js';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import type { TierView } from '../tiers/tier-view.js';
import { UsageService } from '../usage/usage.service.js';
import { ImageLookup } from './image-lookup.service.js';
import { ImagesRepository } from './images.repository.js';
import { QuotaSkips } from './quota-skips.js';
import { JOB_WAIT_MS, keyOf, type Made, type UploadThumbnails } from './thumbnail-work.js';

/**
 * Thumbnails are made once and kept in storage, in the original's format and in THUMBNAIL_FORMATS. The
 * original's format and WebP cost about the same to encode, so they are made together (by the upload's
 * decode, the upload job, or the first request that wants one); AVIF costs several times that and is only
 * ever made in the background ('make-background-formats'), served once it exists. Concurrent requests for the
 * same thumbnail in this process share one piece of work, and one the upload's job is making (workers) is waited
 * for, not made again. (Otherwise, across instances the work may be repeated, harmlessly: the result is the same
 * and the write is atomic.)
 */
@Injectable()
export class ThumbnailsService implements OnModuleInit {
  private readonly inFlight = new Map<string, Promise<Made>>();
  /** Images whose background formats did not fit their owner's quota: not decoded again until there is room. */
  private readonly skips: QuotaSkips;
  /** Images whose background formats are queued here and not done yet: one job each, however many requests. */
  private readonly queued = new Set<string>();
  /** Made with the original's format, on the request path or with the upload. */
  readonly foreground: readonly ExtraFormat[];
  /** Made in the background only. */
  readonly background: readonly ExtraFormat[];

  constructor(
    private readonly storage: Storage,
    private readonly processor: ImageProcessor,
    private readonly jobs: JobQueue,
    private readonly lookup: ImageLookup,
    private readonly rows: ImagesRepository,
    private readonly principals: PrincipalCache,
    config: AppConfig,
    private readonly usage: UsageService,
    clock: Clock,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.skips = new QuotaSkips(clock);
    this.foreground = config.thumbnailFormats.filter((format) => format !== 'avif');
    this.background = config.thumbnailFormats.filter((format) => format === 'avif');
  }

  onModuleInit(): void {
    this.jobs.register('make-thumbnails', ({ imageId }, job) => this.makeGranted(imageId, job));
    this.jobs.register('make-background-formats', ({ imageId }) => this.makeGranted(imageId));
  }

  /**
   * The one decision of who makes an upload's thumbnails (see UploadThumbnails): in-process, the upload's
   * decode makes the owner's heights in the original's format and the foreground formats, and a background
   * job the slow ones; with worker processes, a queued job makes all of them.
   */
  forUpload(tier: TierView): UploadThumbnails {
    if (this.jobs.runsInWorkers) {
      return {
        heights: [],
        formats: [],
        made: () => undefined,
        afterStored: (imageId) => this.jobs.enqueue('make-thumbnails', { imageId }),
      };
    }
    const heights = tier.thumbnailHeights;
    const timer = heights.length ? this.metrics?.thumbnailTimer() : undefined;
    return {
      heights,
      formats: this.foreground,
      made: (count) => timer?.(count),
      afterStored: (imageId) => Promise.resolve(heights.length ? this.wantBackground(imageId) : undefined),
    };
  }

  /**
   * The stored thumbnail in `as`, made now if missing (the original's format or a foreground one); null when
   * the image (or its original) is gone. Missing while the image's job is queued or running (workers): that job
   * is waited for (at most JOB_WAIT_MS) rather than the original decoded here too. A background format is never
   * made here: null when it is not made yet (the caller serves another format and calls `wantBackground`).
   */
  async open(
    imageId: string,
    format: ImageFormat,
    height: number,
    as: ThumbnailFormat = format,
  ): Promise<StoredObject | null> {
    const key = keyOf(imageId, height, format, as);
    const stored = await this.storage.get(key);
    if (stored || this.background.includes(as as ExtraFormat)) return stored;
    await this.jobs.waitFor('make-thumbnails', { imageId }, JOB_WAIT_MS); // then made only if still missing
    const made = await this.make(imageId, format, [height], [format, ...this.foreground]);
    if (!made.ok) return null;
    // Over the owner's quota: served as made, not kept (the serving cache may hold it a while).
    const data = made.unkept.get(key);
    return data ? { stream: Readable.from([data]), size: data.length } : this.storage.get(key);
  }

  /**
   * Whether this process knows the image's background formats are not made yet: its in-process job is queued or
   * running (the mark is dropped when it ends). With workers the mark only throttles re-queueing, so it says
   * nothing there.
   */
  backgroundPending(imageId: string): boolean {
    return !this.jobs.runsInWorkers && this.queued.has(imageId);
  }

  /** Queues the background formats of an image (once per image until done); a request never waits for it. */
  wantBackground(imageId: string): void {
    if (this.background.length === 0 || this.queued.has(imageId) || this.skips.resting(imageId)) return;
    this.queued.add(imageId);
    this.jobs.enqueue('make-background-formats', { imageId }).catch(() => this.queued.delete(imageId));
    // In-process the handler clears the mark when done; with workers, a lost job may be asked for again later.
    if (this.jobs.runsInWorkers) setTimeout(() => this.queued.delete(imageId), 60_000).unref();
  }

  /**
   * Makes those of `heights` × `formats` that are not stored yet, from one decode of the original, keeping
   * those that fit the owner's quota (Made). A thumbnail already being made here is waited for, not made twice.
   */
  async make(
    imageId: string,
    format: ImageFormat,
    heights: readonly number[],
    formats: readonly ThumbnailFormat[],
  ): Promise<Made> {
    const waits: Array<Promise<Made>> = [];
    const todo: Array<[number, ThumbnailFormat]> = [];
    for (const height of heights) {
      for (const as of formats) {
        const running = this.inFlight.get(keyOf(imageId, height, format, as));
        if (running) waits.push(running);
        else todo.push([height, as]);
      }
    }
    if (todo.length > 0) {
      const keys = todo.map(([height, as]) => keyOf(imageId, height, format, as));
      const work = this.produce(imageId, format, todo).finally(() => keys.forEach((key) => this.inFlight.delete(key)));
      for (const key of keys) this.inFlight.set(key, work);
      waits.push(work);
    }
    const all = await Promise.all([...new Set(waits)]);
    return { ok: all.every((m) => m.ok), unkept: new Map(all.flatMap((m) => [...m.unkept])) };
  }

  private async produce(imageId: string, format: ImageFormat, wanted: Array<[number, ThumbnailFormat]>): Promise<Made> {
    const unkept = new Map<string, Buffer>();
    const missing: Array<[number, ThumbnailFormat]> = [];
    for (const [height, as] of wanted) {
      if (!(await this.storage.exists(keyOf(imageId, height, format, as)))) missing.push([height, as]);
    }
    if (missing.length === 0) return { ok: true, unkept };
    const made = this.metrics?.thumbnailTimer();
    const original = await this.storage.read(originalKey(imageId));
    if (!original) return { ok: false, unkept };
    const heights = [...new Set(missing.map(([height]) => height))];
    const formats = [...new Set(missing.map(([, as]) => as))];
    // Only formats nobody waits for (AVIF): the decode gate runs it in a lull between uploads.
    const background = formats.every((as) => this.background.includes(as as ExtraFormat));
    const { thumbnails, placeholder } = await this.processor.thumbnails(original, heights, formats, { background });
    const wantedNow = thumbnails.filter((t) => missing.some(([height, as]) => height === t.height && as === t.format));
    let kept = 0;
    for (const t of wantedNow) {
      const key = keyOf(imageId, t.height, format, t.format);
      // Counted before it is written, under the lock uploads reserve under: kept only if it fits the quota.
      const verdict = await this.usage.keep(imageId, key, t.data.length);
      if (verdict === 'gone') return { ok: false, unkept };
      if (verdict === 'over') {
        unkept.set(key, t.data);
        continue;
      }
      await this.storage.putBuffer(key, t.data).catch(async (error: unknown) => {
        await this.usage.unkeep(imageId, key, t.data.length);
        throw error;
      });
      kept++;
    }
    made?.(kept);
    // Deleted while we worked? Then what we just wrote is an orphan: remove it again.
    if (!(await this.storage.exists(originalKey(imageId)))) {
      await this.storage.deletePrefix(imagePrefix(imageId));
      return { ok: false, unkept };
    }
    // Images from before placeholders get theirs from the first decode that comes their way.
    await this.rows.fillPlaceholder(imageId, placeholder);
    return { ok: true, unkept };
  }

  /**
   * The background formats of `heights`, unless the owner's quota has no room for them: then no decode at
   * all, and an image whose formats did not fit is not decoded again until there is more room (QuotaSkips).
   */
  private async makeBackground(imageId: string, format: ImageFormat, heights: readonly number[]): Promise<void> {
    const before = await this.usage.roomOf(imageId);
    if (!before || !this.skips.mayRetry(imageId, before.room)) return;
    if (before.room !== null && before.room <= 0) {
      this.skips.remember(imageId, before.room);
      return;
    }
    const made = await this.make(imageId, format, heights, this.background);
    if (made.unkept.size === 0) return;
    const after = await this.usage.roomOf(imageId);
    if (after?.room != null) this.skips.remember(imageId, after.room);
  }

  /**
   * Job handlers: every height the owner's tier grants now, in the foreground formats then the background ones
   * (the upload's job: `job`, whose waiters stop waiting once the foreground ones are stored), or the background
   * ones only.
   */
  private async makeGranted(imageId: string, job?: RunningJob): Promise<void> {
    const foreground = job !== undefined;
    try {
      const image = await this.lookup.find(imageId);
      const owner = image && (await this.principals.forUser(image.ownerId));
      if (!image || !owner?.tier.thumbnailHeights.length) return;
      const heights = owner.tier.thumbnailHeights;
      if (!foreground) {
        await this.makeBackground(imageId, image.format, heights);
        return;
      }
      // The upload's job (workers): what serves first, then the slow formats in the same worker.
      if ((await this.make(imageId, image.format, heights, [image.format, ...this.foreground])).ok) {
        await job.unblockWaiters();
        await this.makeBackground(imageId, image.format, heights);
      }
    } finally {
      if (!foreground) this.queued.delete(imageId);
    }
  }
}
