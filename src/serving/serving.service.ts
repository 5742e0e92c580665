import { Injectable } from '@nestjs/common';
import { buffer } from 'node:stream/consumers';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/config.js';
import { isUuid } from '../common/uuid.js';
import { ExpiringLinksService, type LinkState } from '../expiring-links/expiring-links.service.js';
import { ImageLookup, type ImageRef } from '../images/image-lookup.service.js';
import { keyOf } from '../images/thumbnail-work.js';
import { ThumbnailsService } from '../images/thumbnails.service.js';
import { type ExpiringLinkClaims, ExpiringLinkTokens } from '../links/expiring-link-token.js';
import { parseLinkFile } from '../links/link-file.js';
import { LinkExpiredError, LinkForgedError, LinkNotFoundError, LinkRevokedError } from '../links/link.errors.js';
import { PermanentLinks } from '../links/permanent-links.js';
import { ACCEPTS_AVIF, acceptedExtras, FORMAT_BIT, negotiate } from '../media/accept.js';
import { CONTENT_TYPES, EXTENSIONS, type ExtraFormat } from '../media/image-format.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { originalKey } from '../storage/keys.js';
import { Storage } from '../storage/storage.js';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import type { Principal } from '../auth/principal.js';
import { tierGrants, type Variant, VariantNotGrantedError } from '../tiers/variant.js';
import { HotFiles } from './hot-files.js';
import { type ServedFile, servedFile } from './served-file.js';

/** Kept files behind permanent links may sit in shared caches this long (a revoked grant shows within it). */
export const PERMANENT_MAX_AGE = 300;
/**
 * A thumbnail served in another format than the request prefers because that one is still being made (AVIF
 * in the background): caches keep it this long, then come back for the better one.
 */
export const PROVISIONAL_MAX_AGE = 30;
/** Thumbnails are negotiated on Accept: every answer about one says so to caches, fallbacks and 304s included. */
const VARY = 'Accept';

/**
 * Turns a link into a file to send, or a named error. The order is cheapest refusal first: the link's shape
 * and signature (no I/O) → expiry (no I/O) → the image's owner and format (cached; they never change) → the
 * owner's grants (cached) or the expiring link's revocation → ETag match (304 without touching storage) →
 * the stored object (a thumbnail not made yet is made now).
 */
@Injectable()
export class ServingService {
  private readonly hot: HotFiles;
  /** An expiring link's Expires header, formatted once per verified token (ExpiringLinkTokens keeps its claims). */
  private readonly expiresHeaders = new WeakMap<ExpiringLinkClaims, string>();
  /** THUMBNAIL_FORMATS as acceptedExtras bits: what negotiation may pick. */
  private readonly formatBits: number;

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
    this.formatBits = config.thumbnailFormats.reduce((bits, format) => bits | FORMAT_BIT[format], 0);
    lookup.onDeleted((imageId) => this.hot.forget(imageId));
    notifications.onReset(() => this.hot.clear());
  }

  /**
   * `/media/{imageId}/{signature}/{file}`: while the owner's current tier grants the variant. A link whose image,
   * owner and bytes (or the client's ETag) are all known here is answered at once, without a promise: that is
   * nearly every request for a thumbnail in use. A refusal is thrown, at once or as a rejection.
   */
  permanent(imageId: string, signature: string, file: string, ifNoneMatch?: string, accept?: string): Served {
    const { variant, extension } = parseLinkFile(file);
    if (!isUuid(imageId)) throw new LinkNotFoundError();
    if (!this.links.verify(imageId, variant, signature)) throw new LinkForgedError();
    const image = this.lookup.known(imageId);
    const owner = image?.value && this.principals.knownUser(image.value.ownerId);
    if (!owner) return this.permanentLoaded(imageId, extension, variant, ifNoneMatch, accept);
    return this.granted(checkedImage(image.value, extension), owner.value, variant, ifNoneMatch, accept);
  }

  private async permanentLoaded(
    imageId: string,
    extension: string,
    variant: Variant,
    ifNoneMatch?: string,
    accept?: string,
  ): Promise<ServedFile> {
    const image = checkedImage(await this.lookup.find(imageId), extension);
    const owner = await this.principals.forUser(image.ownerId);
    return this.granted(image, owner, variant, ifNoneMatch, accept);
  }

  private granted(
    image: ImageRef,
    owner: Principal | null,
    variant: Variant,
    ifNoneMatch?: string,
    accept?: string,
  ): Served {
    if (!owner || !tierGrants(owner.tier, variant)) {
      throw new VariantNotGrantedError('The owner’s plan does not include this image size');
    }
    return this.file(image, variant, PERMANENT_MAX_AGE, 'public', ifNoneMatch, accept);
  }

  /** `/media/x/{token}/{file}`: until the signed expiry, unless revoked. At once when all is known, as above. */
  expiring(token: string, file: string, ifNoneMatch?: string, accept?: string): Served {
    const { variant, extension } = parseLinkFile(file);
    const claims = this.tokens.verify(token, variant);
    const remainingMs = claims.expiresAt.getTime() - this.clock.now().getTime();
    if (remainingMs <= 0) throw new LinkExpiredError(claims.expiresAt);
    const state = this.expiringLinks.knownState(claims.linkId);
    if (state) refuseUnlessLive(state.value);
    const image = state && this.lookup.known(claims.imageId);
    if (!image) return this.expiringLoaded(claims, extension, variant, remainingMs, ifNoneMatch, accept);
    return this.expiringFile(claims, checkedImage(image.value, extension), variant, remainingMs, ifNoneMatch, accept);
  }

  private async expiringLoaded(
    claims: ExpiringLinkClaims,
    extension: string,
    variant: Variant,
    remainingMs: number,
    ifNoneMatch?: string,
    accept?: string,
  ): Promise<ServedFile> {
    refuseUnlessLive(await this.expiringLinks.state(claims.linkId));
    const image = checkedImage(await this.lookup.find(claims.imageId), extension);
    return this.expiringFile(claims, image, variant, remainingMs, ifNoneMatch, accept);
  }

  private expiringFile(
    claims: ExpiringLinkClaims,
    image: ImageRef,
    variant: Variant,
    remainingMs: number,
    ifNoneMatch?: string,
    accept?: string,
  ): Served {
    let expires = this.expiresHeaders.get(claims);
    if (expires === undefined) this.expiresHeaders.set(claims, (expires = claims.expiresAt.toUTCString()));
    return this.file(image, variant, Math.floor(remainingMs / 1000), 'private', ifNoneMatch, accept, expires);
  }

  /**
   * The bytes of (image, variant) in the format the request gets: the original as uploaded, a thumbnail
   * negotiated on Accept among THUMBNAIL_FORMATS (acceptedExtras, negotiate). Each (variant, format) has its
   * own ETag and never changes, so a matching If-None-Match is a 304 for the format being served only. An
   * AVIF not made yet is queued, and the best format already made is served meanwhile with a short max-age.
   * `expires`: an expiring link's Expires header.
   */
  private file(
    image: ImageRef,
    variant: Variant,
    maxAge: number,
    scope: 'public' | 'private',
    ifNoneMatch: string | undefined,
    accept: string | undefined,
    expires?: string,
  ): Served {
    if (variant === 'original') {
      const etag = `"${image.id}-${variant}"`;
      return this.send(image, variant, null, etag, `${scope}, max-age=${maxAge}`, undefined, ifNoneMatch, expires);
    }
    const wanted = acceptedExtras(accept) & this.formatBits;
    const format = negotiate(wanted, this.formatBits);
    const thumbnail = (format: ExtraFormat | null, provisional: boolean) => {
      const etag = format ? `"${image.id}-${variant}-${format}"` : `"${image.id}-${variant}"`;
      const cacheControl = `${scope}, max-age=${provisional ? Math.min(maxAge, PROVISIONAL_MAX_AGE) : maxAge}`;
      return this.send(image, variant, format, etag, cacheControl, VARY, ifNoneMatch, expires);
    };
    if (format !== 'avif' || this.madeHere(image, variant, 'avif', ifNoneMatch)) return thumbnail(format, false);
    return this.madeInStorage(image, variant, 'avif').then((made) => {
      if (made) return thumbnail(format, false);
      this.thumbnails.wantBackground(image.id);
      return thumbnail(negotiate(wanted & ~ACCEPTS_AVIF, this.formatBits), true);
    });
  }

  /**
   * Whether a thumbnail in a background format is known to exist without asking storage: the client holds its
   * ETag (so it was served: formats are only ever removed with their image), or it is in memory.
   */
  private madeHere(image: ImageRef, variant: Variant, format: ExtraFormat, ifNoneMatch?: string): boolean {
    return (
      matches(ifNoneMatch, `"${image.id}-${variant}-${format}"`) ||
      (this.notifications.live && this.hot.get(image.id, variant, format) !== undefined)
    );
  }

  /** Else: not while its job is known to be pending here (no storage lookup on every request meanwhile). */
  private async madeInStorage(image: ImageRef, variant: Variant, format: ExtraFormat): Promise<boolean> {
    if (this.thumbnails.backgroundPending(image.id)) return false;
    return this.storage.exists(keyOf(image.id, Number(variant), image.format, format));
  }

  /** The answer: a 304, the bytes kept in memory (both at once), or a read from storage. */
  private send(
    image: ImageRef,
    variant: Variant,
    format: ExtraFormat | null,
    etag: string,
    cacheControl: string,
    vary: string | undefined,
    ifNoneMatch: string | undefined,
    expires: string | undefined,
  ): Served {
    const contentType = CONTENT_TYPES[format ?? image.format];
    if (matches(ifNoneMatch, etag)) return servedFile(304, etag, cacheControl, contentType, vary, {}, expires);
    // Kept in memory only while deletions reach this instance (they drop it at once).
    const kept = this.notifications.live ? this.hot.get(image.id, variant, format) : undefined;
    if (kept) return servedFile(200, etag, cacheControl, contentType, vary, { body: kept }, expires);
    return this.read(image, variant, format).then((read) =>
      servedFile(200, etag, cacheControl, contentType, vary, read, expires),
    );
  }

  private async read(
    image: ImageRef,
    variant: Variant,
    format: ExtraFormat | null,
  ): Promise<Pick<ServedFile, 'body' | 'object'>> {
    const useHot = this.notifications.live;
    const readAt = this.hot.now();
    const object =
      variant === 'original'
        ? await this.storage.get(originalKey(image.id))
        : await this.thumbnails.open(image.id, image.format, Number(variant), format ?? image.format);
    if (!object) {
      this.lookup.forget(image.id); // deleted meanwhile (perhaps on another instance)
      throw new LinkNotFoundError('No such image');
    }
    if (useHot && this.hot.fits(object.size)) {
      const body = await buffer(object.stream);
      this.hot.set(image.id, variant, body, readAt, format);
      return { body };
    }
    return { object };
  }
}

/** A file to send now, or once it is read (a refusal is thrown at once, or rejects). */
export type Served = ServedFile | Promise<ServedFile>;

function refuseUnlessLive(state: LinkState): void {
  if (state === 'missing') throw new LinkNotFoundError();
  if (state === 'revoked') throw new LinkRevokedError();
}

function checkedImage(image: ImageRef | null, extension: string): ImageRef {
  if (!image || EXTENSIONS[image.format] !== extension) throw new LinkNotFoundError('No such image');
  return image;
}

/** If-None-Match names `etag` (strong or weak) or `*`. A request without one costs nothing. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === etag || t === '*' || (t.startsWith('W/') && t.slice(2) === etag);
  });
}
