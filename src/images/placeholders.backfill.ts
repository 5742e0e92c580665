import { Injectable, Logger } from '@nestjs/common';
import { ImageProcessor } from '../media/image-processor.js';
import { originalKey } from '../storage/keys.js';
import { Storage } from '../storage/storage.js';
import { ImagesRepository } from './images.repository.js';

const BATCH = 100;

/**
 * `npm run cli -- placeholders`: gives every image stored before placeholders existed its ThumbHash, one decode
 * of its original each (a small resize, through the same bounded decode gate as uploads), in batches walked by
 * id. Never run at start; the serving path also fills one whenever it decodes an original anyway.
 */
@Injectable()
export class PlaceholdersBackfill {
  private readonly logger = new Logger('Placeholders');

  constructor(
    private readonly rows: ImagesRepository,
    private readonly storage: Storage,
    private readonly processor: ImageProcessor,
  ) {}

  async run(): Promise<{ filled: number; skipped: number }> {
    let filled = 0;
    let skipped = 0;
    let after: string | undefined;
    for (;;) {
      const ids = await this.rows.withoutPlaceholder(BATCH, after);
      if (ids.length === 0) return { filled, skipped };
      after = ids[ids.length - 1];
      for (const id of ids) {
        try {
          const original = await this.storage.read(originalKey(id));
          if (!original) throw new Error('its original is not in storage');
          const { placeholder } = await this.processor.thumbnails(original, [], []);
          await this.rows.fillPlaceholder(id, placeholder);
          filled++;
        } catch (error) {
          skipped++;
          this.logger.warn(`Image ${id} skipped: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
}
