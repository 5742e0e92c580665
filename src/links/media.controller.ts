import { Controller, ForbiddenException, Get, Headers, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Public } from '../common/public.decorator.js';
import { ImageLookup } from '../images/image-lookup.service.js';
import { ThumbnailsService } from '../images/thumbnails.service.js';
import { originalKey } from '../storage/keys.js';
import { Storage, type StoredObject } from '../storage/storage.js';
import { GrantsService } from '../tiers/grants.service.js';
import { CONTENT_TYPES, EXTENSIONS, PermanentLinks } from './permanent-links.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE = /^(original|[1-9]\d{0,4})\.(png|jpg)$/;

/**
 * Serves permanent links. The path is short on purpose: signature (no I/O) → image owner and format
 * (cached; they never change) → the owner's grants (cached) → a stream from storage.
 */
@ApiExcludeController()
@Controller('media')
export class MediaController {
  constructor(
    private readonly links: PermanentLinks,
    private readonly lookup: ImageLookup,
    private readonly grants: GrantsService,
    private readonly thumbnails: ThumbnailsService,
    private readonly storage: Storage,
  ) {}

  @Public()
  @Get(':imageId/:signature/:file')
  async serve(
    @Param('imageId') imageId: string,
    @Param('signature') signature: string,
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const match = FILE.exec(file);
    if (!UUID.test(imageId) || !match) throw new NotFoundException('No such link');
    const [, variant, extension] = match;
    if (!this.links.verify(imageId, variant, signature)) throw new ForbiddenException('The link signature is not valid');

    const image = await this.lookup.find(imageId);
    if (!image || EXTENSIONS[image.format] !== extension) throw new NotFoundException('No such image');
    const owner = await this.grants.forUser(image.ownerId);
    const height = variant === 'original' ? undefined : Number(variant);
    const granted =
      height === undefined ? owner?.tier.originalLink : owner?.tier.thumbnailHeights.includes(height);
    if (!granted) throw new ForbiddenException('The owner’s plan does not include this image size');

    const etag = `"${imageId}-${variant}"`; // content under a (image, variant) never changes
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
      res.status(304).end();
      return;
    }
    const stored: StoredObject | null =
      height === undefined
        ? await this.storage.get(originalKey(imageId))
        : await this.thumbnails.open(imageId, image.format, height);
    if (!stored) {
      this.lookup.forget(imageId);
      throw new NotFoundException('No such image');
    }
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPES[image.format]);
    res.setHeader('Content-Length', stored.size);
    await pipeline(stored.stream, res).catch(() => res.destroy());
  }
}
