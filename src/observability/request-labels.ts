import type { Request } from 'express';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The client's X-Request-Id when it is a short token of letters, digits, `-` and `_`; else undefined. */
export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}

// Express matches routes case-insensitively, so /MEDIA/x/... reaches the same handlers: redact it too.
const EXPIRING = /^(\/+media\/+x\/+)[^/?#]+/i;
const PERMANENT = /^(\/+media\/+[^/?#]+\/+)[^/?#]+/i;

/**
 * A request path fit for a log: the signature of a permanent link and the token of an expiring link are
 * secrets (whoever reads them can open the image), so they become `[redacted]`.
 */
export function redactPath(url: string): string {
  if (EXPIRING.test(url)) return url.replace(EXPIRING, '$1[redacted]');
  return url.replace(PERMANENT, '$1[redacted]');
}

export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The route template of a finished request, for metric labels: never a raw path (no label per image or
 * per token). Express's matched route when there is one (Nest controllers, the admin panel's router);
 * media links are classified by shape, so a serving path outside Nest's router keeps the same labels.
 */
export function routeLabel(req: Request): string {
  const path = req.originalUrl.split('?')[0];
  if (/^\/media\//i.test(path)) {
    if (/^\/media\/x\/[^/]+\/[^/]+$/i.test(path)) return '/media/x/:token/:file';
    if (/^\/media\/[^/]+\/[^/]+\/[^/]+$/i.test(path)) return '/media/:id/:sig/:file';
    return UNMATCHED_ROUTE;
  }
  const route = (req as { route?: { path?: unknown } }).route;
  // A catch-all route belongs to middleware (nestjs-pino's `{/*splat}`), not to a handler: no template.
  if (route && typeof route.path === 'string' && !(route.path.includes('*') && !req.baseUrl)) {
    return `${req.baseUrl ?? ''}${route.path}`;
  }
  // Static files under the docs and the admin panel: one label each.
  if (/^\/api\/docs(\/|$)/i.test(path)) return '/api/docs/*';
  if (/^\/admin(\/|$)/i.test(path)) return '/admin/*';
  return UNMATCHED_ROUTE;
}
