import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { randomBytes } from 'node:crypto';

/** The HTML pages: Swagger UI and the AdminJS panel. */
const UI_PAGES = /^\/(api\/docs|admin)(\/|$|\?)/i;
const MEDIA = /^\/media\//i;

type NonceResponse = Response & { locals: { cspNonce?: string } };

/**
 * Security headers through helmet, for every response: nosniff, no X-Powered-By, X-Frame-Options DENY,
 * no framing in any CSP, HSTS only when the public URL is https.
 *
 * - JSON and everything else: `default-src 'none'; frame-ancestors 'none'` (an API response never needs to
 *   load anything).
 * - Swagger UI and AdminJS pages: scripts from this origin only, plus (AdminJS) its inline bootstrap scripts,
 *   which get a per-response nonce; inline styles (both UIs set them), images from here, data: and blob:.
 * - /media: no CSP, and `Cross-Origin-Resource-Policy: cross-origin`, so that other sites can embed the
 *   images (what an image host is for); its other headers (nosniff, ETag, Cache-Control) are set by the
 *   serving code and left alone.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  const common: HelmetOptions = {
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  };
  const api = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
    },
  });
  const pages = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'object-src': ["'none'"],
        'script-src': ["'self'", (_req, res) => `'nonce-${(res as NonceResponse).locals.cspNonce}'`],
        'script-src-attr': ["'none'"],
        // AdminJS's link to Google Fonts is taken out of its pages (admin-loader.ts): system fonts, offline.
        'style-src': ["'self'", "'unsafe-inline'"],
        'font-src': ["'self'", 'data:'],
        'img-src': ["'self'", 'data:', 'blob:'],
        'connect-src': ["'self'"],
        'upgrade-insecure-requests': options.https ? [] : null,
      },
    },
  });
  const media = helmet({
    ...common,
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });

  return function securityHeaders(req: Request, res: Response, next: NextFunction) {
    const path = req.originalUrl;
    if (MEDIA.test(path)) return media(req, res, next);
    if (!UI_PAGES.test(path)) return api(req, res, next);
    const nonce = randomBytes(16).toString('base64');
    (res as NonceResponse).locals.cspNonce = nonce;
    addNonceToInlineScripts(res, nonce);
    return pages(req, res, next);
  };
}

/**
 * AdminJS writes its page with inline <script> blocks (its state and the render call) and no way to give
 * them a nonce: add it on the way out, to HTML sent through res.send. Swagger UI has no inline scripts.
 */
function addNonceToInlineScripts(res: Response, nonce: string): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const type = String(res.getHeader('content-type') ?? '');
    if (typeof body === 'string' && (type === '' || type.startsWith('text/html')) && body.includes('<script>')) {
      body = body.replaceAll('<script>', `<script nonce="${nonce}">`);
    }
    return send(body);
  };
}
