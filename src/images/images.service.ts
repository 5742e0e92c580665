import { Injectable, Logger, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { type Cursor, decodeCursor, encodeCursor } from '../common/cursor.js';
import { AppConfig } from '../config/config.js';
import { PermanentLinks } from '../links/permanent-links.js';
import { ImageProcessor } from '../media/image-processor.js';
import { imagePrefix, originalKey, thumbnailKey } from '../storage/keys.js';
import { Storage } from '../storage/storage.js';
import type { TierView } from '../tiers/grants.service.js';
import type { ImageDto, ImagePageDto } from './dto/image.dto.js';
import type { ListImagesQueryDto, UpdateImageDto, UploadImageDto } from './dto/image-input.dto.js';
import { ImageLookup } from './image-lookup.service.js';
import { Image } from './image.entity.js';

export interface Owner {
  id: string;
  tier: TierView;
}

@Injectable()
export class ImagesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ImagesService.name);

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly storage: Storage,
    private readonly processor: ImageProcessor,
    private readonly links: PermanentLinks,
    private readonly lookup: ImageLookup,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Removes upload temp files left by a process that died mid-request (older than an hour: not in flight). */
  async onApplicationBootstrap(): Promise<void> {
    const dir = join(this.config.dataDir, 'uploads');
    const cutoff = this.clock.now().getTime() - 3600_000;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(path, { force: true });
    }
  }

  /**
   * Validates the uploaded temp file, making the owner's thumbnails in the same decode, stores it byte for
   * byte with them, then inserts the row; if anything fails the stored files go again. Either the row and
   * its files exist or none do. The temp file is always removed.
   */
  async upload(owner: Owner, file: { path: string; size: number }, input: UploadImageDto): Promise<ImageDto> {
    const tempPath = file.path;
    try {
      // The validating decode makes the thumbnails the owner's tier grants now: one decode per upload.
      const { info, thumbnails } = await this.processor.prepare(tempPath, owner.tier.thumbnailHeights);
      const id = randomUUID();
      const image = this.images.create({
        id,
        ownerId: owner.id,
        title: input.title ?? null,
        description: input.description ?? null,
        format: info.format,
        width: info.width,
        height: info.height,
        bytes: file.size,
        createdAt: this.clock.now(),
      });
      try {
        // Written side by side (each is fsynced); all settled before a failure cleans up, so nothing is orphaned.
        const written = await Promise.allSettled([
          this.storage.putFile(originalKey(id), tempPath),
          ...[...thumbnails].map(([height, data]) => this.storage.putBuffer(thumbnailKey(id, height), data)),
        ]);
        const failed = written.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failed) throw failed.reason;
        await this.images.insert(image);
      } catch (error) {
        await this.storage.deletePrefix(imagePrefix(id));
        throw error;
      }
      return this.toDto(image, owner.tier);
    } finally {
      await rm(tempPath, { force: true });
    }
  }

  /** Newest first, keyset-paginated on (createdAt, id): every page costs the same. */
  async list(owner: Owner, query: ListImagesQueryDto): Promise<ImagePageDto> {
    const after: Cursor | undefined = query.cursor ? decodeCursor(query.cursor) : undefined;
    const qb = this.images
      .createQueryBuilder('i')
      .where('i.ownerId = :ownerId', { ownerId: owner.id })
      .orderBy('i.createdAt', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .limit(query.limit + 1);
    if (after) qb.andWhere('(i.createdAt, i.id) < (:at, :id)', { at: after.createdAt, id: after.id });
    const rows = await qb.getMany();
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
    return this.toDto(image, owner.tier);
  }

  async remove(owner: Owner, id: string): Promise<void> {
    const result = await this.images.delete({ id, ownerId: owner.id });
    if (!result.affected) throw this.notFound();
    await this.removeFiles(id);
  }

  /** Deletes an image whoever owns it (admin panel), files included. */
  async removeById(id: string): Promise<boolean> {
    const result = await this.images.delete({ id });
    if (!result.affected) return false;
    await this.removeFiles(id);
    return true;
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
    if (!image) throw this.notFound();
    return image;
  }

  private notFound(): NotFoundException {
    return new NotFoundException('No such image');
  }

  toDto(image: Image, tier: TierView): ImageDto {
    return {
      id: image.id,
      title: image.title,
      description: image.description,
      format: image.format,
      width: image.width,
      height: image.height,
      bytes: image.bytes,
      createdAt: image.createdAt.toISOString(),
      links: {
        thumbnails: tier.thumbnailHeights.map((height) => ({
          height,
          url: this.links.url(image.id, `${height}`, image.format),
        })),
        original: tier.originalLink ? this.links.url(image.id, 'original', image.format) : null,
      },
    };
  }
}
