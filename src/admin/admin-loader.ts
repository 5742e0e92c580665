import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { errorAnswer, writeErrorAnswer } from '../common/http-exception.filter.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** AdminJS's page templates load Roboto from Google; the panel must work offline and leak nothing: system fonts. */
const THIRD_PARTY_FONTS = /<link[^>]+fonts\.googleapis\.com[^>]*>/g;

/**
 * Why a state-changing request must be refused as cross-site, or null. A browser says where a request comes
 * from: `Sec-Fetch-Site` must be same-origin; without it, `Origin` must be the panel's own (PUBLIC_URL's, or the
 * origin the request was sent to). SameSite=Lax alone lets a page on the same site (another port, a sibling
 * subdomain) post with the administrator's cookie. A request with neither header comes from no browser, so it
 * carries no ambient cookie to abuse.
 */
export function crossSiteReason(
  req: { method: string; headers: Record<string, string | string[] | undefined>; protocol?: string },
  ownOrigin: string,
): string | null {
  if (SAFE_METHODS.has(req.method)) return null;
  // Browsers that send Sec-Fetch-Site are judged by it alone: their Origin can be "null" on the panel's own
  // form posts (Referrer-Policy: no-referrer makes it so).
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' ? null : `Sec-Fetch-Site is ${site}`;
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return null;
  const target = req.protocol && typeof req.headers.host === 'string' ? `${req.protocol}://${req.headers.host}` : null;
  return origin === ownOrigin || origin === target ? null : `Origin ${origin} is not this panel's`;
}

type Handler = (req: Request, res: Response, next: NextFunction) => void;

/**
 * The guard around the panel's router: cross-site writes are refused (403), the panel may not be framed, its pages
 * load no third-party fonts, and errors the router passes on (a broken or unsupported body) are answered in the
 * API's error shape instead of Express's HTML 500 page.
 */
export function guardAdminRouter(router: Handler, ownOrigin: string): Handler {
  const logger = new Logger('AdminPanel');
  return (req, res, next) => {
    res.setHeader('X-Frame-Options', 'DENY');
    const refused = crossSiteReason(req, ownOrigin);
    if (refused) {
      writeErrorAnswer(res, {
        statusCode: 403,
        error: 'Forbidden',
        message: `Cross-site request refused: ${refused}`,
      });
      return;
    }
    const send = res.send.bind(res);
    res.send = (body?: unknown) => send(typeof body === 'string' ? body.replace(THIRD_PARTY_FONTS, '') : body);
    router(req, res, (error?: unknown) => {
      if (!error || error === 'route' || error === 'router') return next(error);
      const body = errorAnswer(error);
      // Whatever the body parser choked on is the client's doing.
      const answer =
        body.statusCode >= 500
          ? { ...body, statusCode: 400, error: 'Bad Request', message: 'The request body could not be read' }
          : body;
      logger.debug(`Refused an admin request: ${String(error)}`);
      if (res.headersSent) return void res.destroy();
      writeErrorAnswer(res, answer);
    });
  };
}

/**
 * Mounts the panel at `root` as @adminjs/nestjs's ExpressLoader does: a layer named `admin`, moved right after
 * Express's own first layer and ahead of the JSON body parser (AdminJS parses its bodies itself).
 */
export function mountAdminPanel(app: unknown, root: string, handler: Handler): void {
  const express = app as { use(path: string, handler: Handler): void; router: { stack: Array<{ name: string }> } };
  express.use(root, function admin(req: Request, res: Response, next: NextFunction) {
    handler(req, res, next);
  });
  const stack = express.router.stack;
  const take = (name: string) => {
    const index = stack.findIndex((layer) => layer.name === name);
    return index >= 0 ? stack.splice(index, 1) : [];
  };
  const admin = take('admin');
  const jsonParser = take('jsonParser');
  const urlencodedParser = take('urlencodedParser');
  const init = stack.findIndex((layer) => layer.name === 'expressInit');
  stack.splice(init + 1, 0, ...admin, ...jsonParser, ...urlencodedParser);
}
