import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { type Cursor, decodeCursor, encodeCursor } from '../common/cursor.js';
import { CommitOutcomeUnknownError, transactionOrNothing } from '../common/database-unavailable.js';
import { AppConfig } from '../config/config.js';
import { PermanentLinks } from '../links/permanent-links.js';
import { Metrics } from '../observability/metrics.js';
import { ImageProcessor, servedSize } from '../media/image-processor.js';
import { imagePrefix, originalKey } from '../storage/keys.js';
import { Storage } from '../storage/storage.js';
import type { TierView } from '../tiers/tier-view.js';
import { TierUploadTooLargeError } from '../usage/usage.errors.js';
import { UsageService } from '../usage/usage.service.js';
import type { ImageDto, ImagePageDto } from './dto/image.dto.js';
import type { ListImagesQueryDto, UpdateImageDto, UploadImageDto } from './dto/image-input.dto.js';
import { ImageLookup } from './image-lookup.service.js';
import { ImagePages } from './image-pages.service.js';
import { Image } from './image.entity.js';
import { ImageNotFoundError } from './images.errors.js';
import type { ImageRow } from './images.repository.js';
import { keyOf } from './thumbnail-work.js';
import { ThumbnailsService } from './thumbnails.service.js';

export interface Owner {
  id: string;
  tier: TierView;
}

@Injectable()
export class ImagesService {
  private readonly logger = new Logger(ImagesService.name);

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly pages: ImagePages,
    private readonly storage: Storage,
    private readonly processor: ImageProcessor,
    private readonly thumbnails: ThumbnailsService,
    private readonly links: PermanentLinks,
    private readonly lookup: ImageLookup,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly usage: UsageService,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /**
   * Validates the uploaded temp file, making in the same decode the thumbnails ThumbnailsService.forUpload
   * asks for, stores it byte for byte with them, then inserts the row; if anything fails the stored files go
   * again. Either the row and its files exist or none do. Storage may take the temp file (a rename); the
   * upload edge removes whatever is left of it.
   * The bytes to store (original and thumbnails) are reserved against the tier's quota and daily uploads
   * before anything is stored; the reservation ends in the insert's transaction, or is given back.
   * Thumbnails made later (workers, on first request) are counted as they are written.
   */
  async upload(owner: Owner, file: { path: string; size: number }, input: UploadImageDto): Promise<ImageDto> {
    const tempPath = file.path;
    const { maxUploadBytes } = owner.tier;
    if (maxUploadBytes !== null && file.size > maxUploadBytes) {
      this.metrics?.uploadRefused('tier_max_upload');
      throw new TierUploadTooLargeError(maxUploadBytes);
    }
    const plan = this.thumbnails.forUpload(owner.tier);
    // With the original's format: the formats cheap enough for the upload (WebP), and the placeholder.
    const { info, thumbnails, placeholder } = await this.processor.prepare(tempPath, plan.heights, plan.formats);
    plan.made(thumbnails.length);
    const id = randomUUID();
    let storedBytes = file.size;
    for (const t of thumbnails) storedBytes += t.data.length;
    const reservation = await this.usage.reserve(owner.id, owner.tier, storedBytes);
    const image = this.images.create({
      id,
      ownerId: owner.id,
      title: input.title ?? null,
      description: input.description ?? null,
      format: info.format,
      width: info.width,
      height: info.height,
      bytes: file.size,
      storedBytes,
      storedKeys: thumbnails.map((t) => keyOf(id, t.height, info.format, t.format)),
      placeholder,
      createdAt: this.clock.now(),
    });
    try {
      // Written side by side (each is fsynced); all settled before a failure cleans up, so nothing is orphaned.
      const written = await Promise.allSettled([
        this.storage.putFile(originalKey(id), tempPath),
        ...thumbnails.map((t) => this.storage.putBuffer(keyOf(id, t.height, info.format, t.format), t.data)),
      ]);
      const failed = written.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      // All or nothing even if PostgreSQL freezes mid-insert (see transactionOrNothing).
      await transactionOrNothing(this.images.manager.connection, async (manager) => {
        await this.usage.settle(manager, reservation);
        await manager.insert(Image, image);
      });
      this.pages.forget(owner.id);
    } catch (error) {
      // No answer to the COMMIT: the row may exist, so its file stays (a row without its file is worse), and
      // so may the reservation (it stops counting after RESERVATION_TTL_MS if the insert did not happen).
      if (error instanceof CommitOutcomeUnknownError) {
        this.logger.warn(`Image ${id}: ${error.message}; file kept`);
        this.pages.forget(owner.id);
      } else await Promise.all([this.storage.deletePrefix(imagePrefix(id)), this.usage.release(reservation)]);
      throw error;
    }
    await plan.afterStored(id);
    return this.toDto(image, owner.tier);
  }

  /** Newest first, keyset-paginated on (createdAt, id): every page costs the same. */
  async list(owner: Owner, query: ListImagesQueryDto): Promise<ImagePageDto> {
    const after: Cursor | undefined = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.pages.page(owner.id, query.limit + 1, after);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((image) => this.toDto(image, owner.tier)),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
    };
  }

  async get(owner: Owner, id: string): Promise<ImageDto> {
    return this.toDto(await this.findOwned(owner, id), owner.tier);
  }

  async update(owner: Owner, id: string, input: UpdateImageDto): Promise<ImageDto> {
    const image = await this.findOwned(owner, id);
    if (input.title !== undefined) image.title = input.title;
    if (input.description !== undefined) image.description = input.description;
    await this.images.update({ id, ownerId: owner.id }, { title: image.title, description: image.description });
    this.pages.forget(owner.id);
    return this.toDto(image, owner.tier);
  }

  async remove(owner: Owner, id: string): Promise<void> {
    const result = await this.images.delete({ id, ownerId: owner.id });
    if (!result.affected) throw new ImageNotFoundError();
    this.pages.forget(owner.id);
    await this.removeFiles(id);
  }

  /** Deletes an image whoever owns it (admin panel), files included. */
  async removeById(id: string): Promise<boolean> {
    const { raw } = await this.images.createQueryBuilder().delete().where({ id }).returning('"ownerId"').execute();
    const [deleted] = raw as Array<{ ownerId: string }>;
    if (!deleted) return false;
    this.pages.forget(deleted.ownerId);
    await this.removeFiles(id);
    return true;
  }

  /** Deletes every image of an owner, files included (before the owner is deleted). */
  async removeAllOwnedBy(ownerId: string): Promise<void> {
    const owned = await this.images.find({ where: { ownerId }, select: { id: true } });
    for (const { id } of owned) await this.removeById(id);
  }

  private async removeFiles(id: string): Promise<void> {
    this.lookup.forget(id);
    try {
      await this.storage.deletePrefix(imagePrefix(id));
    } catch (error) {
      // The row is gone, so every link already answers 404; the files are left for a storage sweep.
      this.logger.error(`Could not delete the files of image ${id}: ${String(error)}`);
    }
  }

  private async findOwned(owner: Owner, id: string): Promise<Image> {
    const image = await this.images.findOneBy({ id, ownerId: owner.id });
    if (!image) throw new ImageNotFoundError();
    return image;
  }

  toDto(image: ImageRow, tier: TierView): ImageDto {
    return {
      id: image.id,
      title: image.title,
      description: image.description,
      format: image.format,
      width: image.width,
      height: image.height,
      bytes: image.bytes,
      createdAt: image.createdAt.toISOString(),
      placeholder: image.placeholder,
      links: {
        thumbnails: tier.thumbnailHeights.map((height) => ({
          height,
          width: servedSize(image, height).width,
          url: this.links.url(image.id, `${height}`, image.format),
        })),
        original: tier.originalLink ? this.links.url(image.id, 'original', image.format) : null,
      },
    };
  }
}
