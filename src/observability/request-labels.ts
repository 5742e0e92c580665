import type { Request } from 'express';

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The client's X-Request-Id when it is a short token of letters, digits, `-` and `_`; else undefined. */
export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}

/**
 * Labels for requests answered outside Express's router (the `/media` links): their route template and a
 * loggable URL. Given by the caller (app.factory.ts passes src/links/media-url.ts), so the URL shape has one home.
 */
export interface OutsideRouterLabels {
  /** The route template of a path, or undefined when it is not one of those requests. */
  route(path: string): string | undefined;
  /** The URL with any secret in it replaced by `[redacted]`; other URLs unchanged. */
  redact(url: string): string;
}

export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The route template of a finished request, for metric labels: never a raw path (no label per image or
 * per token). Requests answered outside the router are labelled by `outside`; else Express's matched route
 * when there is one (Nest controllers, the admin panel's router).
 */
export function routeLabel(req: Request, outside: OutsideRouterLabels): string {
  const path = req.originalUrl.split('?')[0];
  const label = outside.route(path);
  if (label !== undefined) return label;
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
