import type { ImageFormat } from '../media/image-format.js';
import type { Variant } from '../tiers/variant.js';
import { linkFile } from './link-file.js';

/**
 * The one home of the `/media` URL shape, both kinds:
 * - permanent: `/media/{imageId}/{signature}/{variant}.{ext}`
 * - expiring:  `/media/x/{token}/{variant}.{ext}`
 * Links are built here (PermanentLinks, ExpiringLinkTokens add the signature or token and the public URL),
 * the serving entry point parses them here, and request logs and metrics label and redact them from here.
 */

/** The metric label (route template) of each kind. */
export const MEDIA_ROUTES = { permanent: '/media/:id/:sig/:file', expiring: '/media/x/:token/:file' } as const;

/** The second segment that marks an expiring link. */
const EXPIRING = 'x';

export function permanentMediaPath(imageId: string, signature: string, variant: Variant, format: ImageFormat): string {
  return `/media/${imageId}/${signature}/${linkFile(variant, format)}`;
}

export function expiringMediaPath(token: string, variant: Variant, format: ImageFormat): string {
  return `/media/${EXPIRING}/${token}/${linkFile(variant, format)}`;
}

// Express matched routes case-insensitively when a controller served links: /MEDIA/x/... is still a link.
const MEDIA_PREFIX = /^\/media\//i;

/** Whether a request URL is under `/media/` (any case): the serving entry point answers all of these. */
export function isMediaUrl(url: string): boolean {
  return url.startsWith('/media/') || MEDIA_PREFIX.test(url);
}

/**
 * A `/media` link path (query ignored) split at `/`: `['', 'media', imageId, signature, file]` or
 * `['', 'media', 'x', token, file]` (tell them apart with `isExpiringLink`); undefined when the path has
 * another shape. The array is the split itself, so the common case allocates nothing more. Percent-encoded
 * segments are decoded (a malformed encoding throws URIError) and one trailing slash is ignored, as a
 * router does.
 */
export function mediaLinkParts(url: string): string[] | undefined {
  const end = url.indexOf('?');
  const parts = (end === -1 ? url : url.slice(0, end)).split('/');
  if (parts.length === 6 && parts[5] === '') parts.pop();
  if (parts.length !== 5) return undefined;
  if (url.includes('%')) for (let i = 2; i < 5; i++) parts[i] = decodeURIComponent(parts[i]);
  return parts;
}

/** For parts from `mediaLinkParts`: an expiring link (`/media/x/...`, any case) rather than a permanent one. */
export function isExpiringLink(parts: string[]): boolean {
  return parts[2] === EXPIRING || parts[2] === 'X';
}

// The same shapes as mediaLinkParts, as regexes: labelling every request must not allocate.
const EXPIRING_ROUTE = /^\/media\/x\/[^/]+\/[^/]+$/i;
const PERMANENT_ROUTE = /^\/media\/[^/]+\/[^/]+\/[^/]+$/i;

/** The route template of a request path (no query) when it is a link, for metric labels; else undefined. */
export function mediaRouteLabel(path: string): string | undefined {
  if (EXPIRING_ROUTE.test(path)) return MEDIA_ROUTES.expiring;
  if (PERMANENT_ROUTE.test(path)) return MEDIA_ROUTES.permanent;
  return undefined;
}

/** A link request's metric label (route template) and loggable URL (secret redacted). */
export interface LinkLabels {
  route: string;
  path: string;
}

/**
 * For a link from `mediaLinkParts`: its route template and its URL as redactMediaUrl gives it (the signature or
 * token `[redacted]`), from the parts already split: a link request runs no regex for its log line and metric.
 */
export function linkLabels(url: string, parts: string[]): LinkLabels {
  const route = isExpiringLink(parts) ? MEDIA_ROUTES.expiring : MEDIA_ROUTES.permanent;
  if (url.includes('%')) return { route, path: redactMediaUrl(url) }; // decoded parts: lengths differ
  const secretAt = '/media/'.length + parts[2].length + 1;
  return { route, path: `${url.slice(0, secretAt)}[redacted]${url.slice(secretAt + parts[3].length)}` };
}

// Also with doubled slashes: whatever reaches a log must not carry a link's secret.
const EXPIRING_SECRET = /^(\/+media\/+x\/+)[^/?#]+/i;
const PERMANENT_SECRET = /^(\/+media\/+[^/?#]+\/+)[^/?#]+/i;

/**
 * A request URL fit for a log: the signature of a permanent link and the token of an expiring link are
 * secrets (whoever reads them can open the image), so they become `[redacted]`; other URLs are unchanged.
 */
export function redactMediaUrl(url: string): string {
  if (EXPIRING_SECRET.test(url)) return url.replace(EXPIRING_SECRET, '$1[redacted]');
  return url.replace(PERMANENT_SECRET, '$1[redacted]');
}
