import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.js';

export type CacheName = 'grants' | 'image_lookup' | 'image_pages';
type LookupResult = 'hit' | 'miss' | 'bypass';

/**
 * Why an upload was refused by a limit: the server's or the tier's file size (413), the tier's storage quota
 * (403) or uploads per day (429), or a burst beyond the per-user queue (429). Never a tier or user label.
 */
export type UploadLimit = 'server_max_upload' | 'tier_max_upload' | 'storage_quota' | 'uploads_per_day' | 'burst_queue';

/**
 * Every metric of this process, in one registry of its own (not prom-client's global one, so several
 * applications in one process, as in tests, never collide). Other parts record through the small methods
 * below and never import prom-client.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new LabelledHistogram(
    'image_api_http_request_duration_seconds',
    'HTTP requests by method, route template and status class (2xx..5xx), from first byte to response end',
    ['method', 'route', 'status_class'],
    [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    this.registry,
  );

  readonly uploads = new Counter({
    name: 'image_api_uploads_total',
    help: 'POST /api/images by outcome: stored (201) or rejected, with the status answered',
    labelNames: ['outcome', 'status'] as const,
    registers: [this.registry],
  });

  readonly thumbnailsMade = new Counter({
    name: 'image_api_thumbnails_made_total',
    help: 'Thumbnails made and stored (by the upload job or on first request)',
    registers: [this.registry],
  });

  readonly thumbnailDuration = new Histogram({
    name: 'image_api_thumbnail_duration_seconds',
    help: 'Time to make the thumbnails of one image from one decode of its original (read, resize, store)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly jobsQueued = new Gauge({
    name: 'image_api_jobs_queued',
    help: 'Jobs waiting or running in this process’s queue',
    registers: [this.registry],
  });

  readonly jobFailures = new Counter({
    name: 'image_api_job_failures_total',
    help: 'Jobs that ended with an error',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  /**
   * Counted in plain numbers (two lookups on every link request: prom-client's inc() hashes its label object
   * each time) and handed to prom-client when it collects.
   */
  private readonly lookupCounts: Record<CacheName, Record<LookupResult, number>> = {
    grants: { hit: 0, miss: 0, bypass: 0 },
    image_lookup: { hit: 0, miss: 0, bypass: 0 },
    image_pages: { hit: 0, miss: 0, bypass: 0 },
  };
  private readonly cacheLookups = new Counter({
    name: 'image_api_cache_lookups_total',
    help: 'Cache lookups by cache and result (hit, miss, bypass while the cache cannot be trusted)',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
    collect: () => {
      this.cacheLookups.reset();
      for (const [cache, results] of Object.entries(this.lookupCounts)) {
        for (const [result, n] of Object.entries(results)) if (n > 0) this.cacheLookups.inc({ cache, result }, n);
      }
    },
  });

  readonly uploadRefusals = new Counter({
    name: 'image_api_upload_refusals_total',
    help: 'Uploads refused by a limit: server_max_upload, tier_max_upload, storage_quota, uploads_per_day, burst_queue',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly databaseUnavailable = new Counter({
    name: 'image_api_database_unavailable_total',
    help: 'Requests answered 503 because PostgreSQL was unreachable or timed out',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  cacheLookup(cache: CacheName, result: LookupResult): void {
    this.lookupCounts[cache][result]++;
  }

  uploadRefused(limit: UploadLimit): void {
    this.uploadRefusals.inc({ limit });
  }

  /** Times one piece of thumbnail work; call the result with the number of thumbnails made. */
  thumbnailTimer(): (made: number) => void {
    const end = this.thumbnailDuration.startTimer();
    return (made) => {
      end();
      if (made > 0) this.thumbnailsMade.inc(made);
    };
  }
}
