import { Injectable } from '@nestjs/common';
import { buffer } from 'node:stream/consumers';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/config.js';
import { isUuid } from '../common/uuid.js';
import { ExpiringLinksService } from '../expiring-links/expiring-links.service.js';
import { ImageLookup, type ImageRef } from '../images/image-lookup.service.js';
import { ThumbnailsService } from '../images/thumbnails.service.js';
import { ExpiringLinkTokens } from '../links/expiring-link-token.js';
import { parseLinkFile } from '../links/link-file.js';
import { LinkExpiredError, LinkForgedError, LinkNotFoundError, LinkRevokedError } from '../links/link.errors.js';
import { PermanentLinks } from '../links/permanent-links.js';
import { CONTENT_TYPES, EXTENSIONS } from '../media/image-format.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { originalKey } from '../storage/keys.js';
import { Storage } from '../storage/storage.js';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import { tierGrants, type Variant, VariantNotGrantedError } from '../tiers/variant.js';
import { HotFiles } from './hot-files.js';
import type { ServedFile } from './served-file.js';

/** Kept files behind permanent links may sit in shared caches this long (a revoked grant shows within it). */
export const PERMANENT_MAX_AGE = 300;

/**
 * Turns a link into a file to send, or a named error. The order is cheapest refusal first: the link's shape
 * and signature (no I/O) → expiry (no I/O) → the image's owner and format (cached; they never change) → the
 * owner's grants (cached) or the expiring link's revocation → ETag match (304 without touching storage) →
 * the stored object (a thumbnail not made yet is made now).
 */
@Injectable()
export class ServingService {
  private readonly hot: HotFiles;

  constructor(
    private readonly links: PermanentLinks,
    private readonly tokens: ExpiringLinkTokens,
    private readonly expiringLinks: ExpiringLinksService,
    private readonly lookup: ImageLookup,
    private readonly principals: PrincipalCache,
    private readonly thumbnails: ThumbnailsService,
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly notifications: DatabaseNotifications,
    config: AppConfig,
  ) {
    this.hot = new HotFiles(config.mediaCacheBytes, config.mediaCacheFileBytes);
    lookup.onDeleted((imageId) => this.hot.forget(imageId));
    notifications.onReset(() => this.hot.clear());
  }

  /** `/media/{imageId}/{signature}/{file}`: while the owner's current tier grants the variant. */
  async permanent(imageId: string, signature: string, file: string, ifNoneMatch?: string): Promise<ServedFile> {
    const { variant, extension } = parseLinkFile(file);
    if (!isUuid(imageId)) throw new LinkNotFoundError();
    if (!this.links.verify(imageId, variant, signature)) throw new LinkForgedError();
    const image = await this.image(imageId, extension);
    const owner = await this.principals.forUser(image.ownerId);
    if (!owner || !tierGrants(owner.tier, variant)) {
      throw new VariantNotGrantedError('The owner’s plan does not include this image size');
    }
    return this.file(image, variant, `public, max-age=${PERMANENT_MAX_AGE}`, ifNoneMatch);
  }

  /** `/media/x/{token}/{file}`: until the signed expiry, unless revoked. */
  async expiring(token: string, file: string, ifNoneMatch?: string): Promise<ServedFile> {
    const { variant, extension } = parseLinkFile(file);
    const claims = this.tokens.verify(token, variant);
    const remainingMs = claims.expiresAt.getTime() - this.clock.now().getTime();
    if (remainingMs <= 0) throw new LinkExpiredError(claims.expiresAt);
    const state = await this.expiringLinks.state(claims.linkId);
    if (state === 'missing') throw new LinkNotFoundError();
    if (state === 'revoked') throw new LinkRevokedError();
    const image = await this.image(claims.imageId, extension);
    const served = await this.file(image, variant, `private, max-age=${Math.floor(remainingMs / 1000)}`, ifNoneMatch);
    return { ...served, expires: claims.expiresAt.toUTCString() };
  }

  private async image(imageId: string, extension: string): Promise<ImageRef> {
    const image = await this.lookup.find(imageId);
    if (!image || EXTENSIONS[image.format] !== extension) throw new LinkNotFoundError('No such image');
    return image;
  }

  private async file(
    image: ImageRef,
    variant: Variant,
    cacheControl: string,
    ifNoneMatch: string | undefined,
  ): Promise<ServedFile> {
    const etag = `"${image.id}-${variant}"`; // the bytes under (image, variant) never change
    const contentType = CONTENT_TYPES[image.format];
    if (matches(ifNoneMatch, etag)) return { status: 304, etag, cacheControl, contentType };
    // Kept in memory only while deletions reach this instance (they drop it at once).
    const useHot = this.notifications.live;
    const kept = useHot ? this.hot.get(image.id, variant) : undefined;
    if (kept) return { status: 200, etag, cacheControl, contentType, body: kept };
    const readAt = this.hot.now();
    const object =
      variant === 'original'
        ? await this.storage.get(originalKey(image.id))
        : await this.thumbnails.open(image.id, image.format, Number(variant));
    if (!object) {
      this.lookup.forget(image.id); // deleted meanwhile (perhaps on another instance)
      throw new LinkNotFoundError('No such image');
    }
    if (useHot && this.hot.fits(object.size)) {
      const body = await buffer(object.stream);
      this.hot.set(image.id, variant, body, readAt);
      return { status: 200, etag, cacheControl, contentType, body };
    }
    return { status: 200, etag, cacheControl, contentType, object };
  }
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  return !!ifNoneMatch && ifNoneMatch.split(',').some((tag) => [etag, `W/${etag}`, '*'].includes(tag.trim()));
}
