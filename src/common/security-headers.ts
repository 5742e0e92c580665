import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import { randomBytes } from 'node:crypto';

/** The HTML pages: Swagger UI and the AdminJS panel. */
const UI_PAGES = /^\/(api\/docs|admin)(\/|$|\?)/i;

type NonceResponse = Response & { locals: { cspNonce?: string } };

/**
 * Security headers through helmet, for every response but the links: nosniff, no X-Powered-By, X-Frame-Options
 * DENY, no framing in any CSP, HSTS only when the public URL is https.
 *
 * - JSON and everything else: `default-src 'none'; frame-ancestors 'none'` (an API response never needs to
 *   load anything).
 * - Swagger UI and AdminJS pages: scripts from this origin only, plus (AdminJS) its inline bootstrap scripts,
 *   which get a per-response nonce; inline styles (both UIs set them), images from here, data: and blob:.
 * - /media: only the headers that apply to an image (mediaSecurityHeaders).
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  const common = commonOptions(options);
  // Without a nonce nothing depends on the request: helmet runs once, and each response gets the list.
  const api = recorded(
    helmet({
      ...common,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] },
      },
    }),
  );
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

  return function securityHeaders(req: Request, res: Response, next: NextFunction) {
    if (!UI_PAGES.test(req.originalUrl)) {
      for (let i = 0; i < api.length; i += 2) res.setHeader(api[i], api[i + 1]);
      return next();
    }
    const nonce = randomBytes(16).toString('base64');
    (res as NonceResponse).locals.cspNonce = nonce;
    addNonceToInlineScripts(res, nonce);
    return pages(req, res, next);
  };
}

function commonOptions(options: { https: boolean }): HelmetOptions {
  return {
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  };
}

/**
 * The security headers of every `/media` answer, as a flat list of names and values. An image is not a document:
 * the headers that only steer documents (framing, opener, referrer, DNS prefetch, XSS filter, Flash and IE
 * download policies, origin clusters) do nothing on it, and they were 239 bytes of every answer (a 304: 581
 * bytes with them, 342 without). What applies to an image stays: `nosniff` (an upload is never run as anything but
 * its Content-Type), `Cross-Origin-Resource-Policy: cross-origin` (other sites may embed the images, which is
 * what an image host is for) and, over https, HSTS. They never depend on the request, so helmet runs once, at
 * start, into a recorder; the serving code sends them with its own (ETag, Cache-Control, ...) in one writeHead.
 */
export function mediaSecurityHeaders(options: { https: boolean }): readonly string[] {
  return recorded(
    helmet({
      contentSecurityPolicy: false,
      crossOriginEmbedderPolicy: false,
      crossOriginOpenerPolicy: false,
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      originAgentCluster: false,
      referrerPolicy: false,
      strictTransportSecurity: commonOptions(options).strictTransportSecurity,
      xContentTypeOptions: true,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xFrameOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
}

/** The headers a helmet middleware sets, as a flat list of names and values (it must not depend on the request). */
function recorded(middleware: ReturnType<typeof helmet>): readonly string[] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  let ran = false;
  void middleware({} as Request, recorder as unknown as Response, () => (ran = true));
  if (!ran) throw new Error('helmet did not finish synchronously');
  return Object.freeze([...headers].flat());
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
