import {
  Controller,
  ForbiddenException,
  Get,
  GoneException,
  Headers,
  NotFoundException,
  Param,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-errors.decorator.js';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Clock } from '../common/clock.js';
import { Public } from '../common/public.decorator.js';
import { ExpiringLinksService } from '../expiring-links/expiring-links.service.js';
import { ImageLookup, type ImageRef } from '../images/image-lookup.service.js';
import { ThumbnailsService } from '../images/thumbnails.service.js';
import { originalKey } from '../storage/keys.js';
import { Storage } from '../storage/storage.js';
import { GrantsService } from '../tiers/grants.service.js';
import { ExpiringLinkTokens } from './expiring-link-token.js';
import { CONTENT_TYPES, EXTENSIONS, PermanentLinks } from './permanent-links.js';

const BINARY = {
  'image/png': { schema: { type: 'string', format: 'binary' } },
  'image/jpeg': { schema: { type: 'string', format: 'binary' } },
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE = /^(original|[1-9]\d{0,4})\.(png|jpg)$/;

function parseFile(file: string): { variant: string; extension: string } {
  const match = FILE.exec(file);
  if (!match) throw new NotFoundException('No such link');
  return { variant: match[1], extension: match[2] };
}

/**
 * Serves the links inside Image responses and expiring links, without auth. The path is short on purpose:
 * signature (no I/O) → expiry (no I/O) → image owner and format (cached; they never change) → the owner's
 * grants (cached) or the link's revocation state → a stream from storage.
 */
@ApiTags('media')
@ApiProduces('image/png', 'image/jpeg')
@ApiResponse({ status: 200, description: 'The image file', content: BINARY })
@ApiResponse({ status: 304, description: 'Not modified (If-None-Match matched the ETag)' })
@Controller('media')
export class MediaController {
  constructor(
    private readonly links: PermanentLinks,
    private readonly tokens: ExpiringLinkTokens,
    private readonly expiringLinks: ExpiringLinksService,
    private readonly lookup: ImageLookup,
    private readonly grants: GrantsService,
    private readonly thumbnails: ThumbnailsService,
    private readonly storage: Storage,
    private readonly clock: Clock,
  ) {}

  // Declared first: Express tries routes in order, and "x" would otherwise reach the permanent route.
  @Public()
  @Get('x/:token/:file')
  @ApiOperation({ summary: 'An expiring link (from POST /api/images/{id}/expiring-links): no auth until expiresAt' })
  @ApiParam({ name: 'file', example: 'original.jpg', description: '{variant}.{png|jpg}' })
  @ApiErrors(403, 404, 410)
  async serveExpiring(
    @Param('token') token: string,
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const { variant, extension } = parseFile(file);
    const claims = this.tokens.verify(token, variant);
    if (claims === null) throw new NotFoundException('No such link');
    if (claims === 'forged') throw new ForbiddenException('The link signature is not valid');
    const remainingMs = claims.expiresAt.getTime() - this.clock.now().getTime();
    if (remainingMs <= 0) throw new GoneException(`This link expired at ${claims.expiresAt.toISOString()}`);

    const state = await this.expiringLinks.state(claims.linkId);
    if (state === 'missing') throw new NotFoundException('No such link');
    if (state === 'revoked') throw new GoneException('This link was revoked');
    const image = await this.image(claims.imageId, extension);
    res.setHeader('Cache-Control', `private, max-age=${Math.floor(remainingMs / 1000)}`);
    res.setHeader('Expires', claims.expiresAt.toUTCString());
    await this.send(res, image, variant, ifNoneMatch);
  }

  @Public()
  @Get(':imageId/:signature/:file')
  @ApiOperation({ summary: 'A permanent link from an Image’s links: no auth, while the owner’s tier grants it' })
  @ApiParam({ name: 'file', example: '200.jpg', description: '{variant}.{png|jpg}' })
  @ApiErrors(403, 404)
  async servePermanent(
    @Param('imageId') imageId: string,
    @Param('signature') signature: string,
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const { variant, extension } = parseFile(file);
    if (!UUID.test(imageId)) throw new NotFoundException('No such link');
    if (!this.links.verify(imageId, variant, signature))
      throw new ForbiddenException('The link signature is not valid');

    const image = await this.image(imageId, extension);
    const owner = await this.grants.forUser(image.ownerId);
    const granted =
      variant === 'original' ? owner?.tier.originalLink : owner?.tier.thumbnailHeights.includes(Number(variant));
    if (!granted) throw new ForbiddenException('The owner’s plan does not include this image size');
    res.setHeader('Cache-Control', 'public, max-age=300');
    await this.send(res, image, variant, ifNoneMatch);
  }

  private async image(imageId: string, extension: string): Promise<ImageRef> {
    const image = await this.lookup.find(imageId);
    if (!image || EXTENSIONS[image.format] !== extension) throw new NotFoundException('No such image');
    return image;
  }

  /** One exit for every file: Content-Type, Content-Length, ETag, nosniff; If-None-Match → 304. */
  private async send(res: Response, image: ImageRef, variant: string, ifNoneMatch: string | undefined): Promise<void> {
    const etag = `"${image.id}-${variant}"`; // the bytes under (image, variant) never change
    res.setHeader('ETag', etag);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (ifNoneMatch?.split(',').some((tag) => [etag, `W/${etag}`, '*'].includes(tag.trim()))) {
      res.status(304).end();
      return;
    }
    const stored =
      variant === 'original'
        ? await this.storage.get(originalKey(image.id))
        : await this.thumbnails.open(image.id, image.format, Number(variant));
    if (!stored) {
      this.lookup.forget(image.id);
      throw new NotFoundException('No such image');
    }
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPES[image.format]);
    res.setHeader('Content-Length', stored.size);
    await pipeline(stored.stream, res).catch(() => res.destroy());
  }
}
