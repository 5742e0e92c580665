import './admin-env.js'; // before adminjs
import { ExpressLoader } from '@adminjs/nestjs';
import type { AdminModuleOptions } from '@adminjs/nestjs';
import { Injectable, Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type AdminJS from 'adminjs';
import type { NextFunction, Request, Response } from 'express';
import { errorAnswer, writeErrorAnswer } from '../common/http-exception.filter.js';
import { AppConfig } from '../config/config.js';
import { adminGate } from './admin-gate.js';

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

/**
 * @adminjs/nestjs's Express loader, with a guard around the panel's router: cross-site writes are refused
 * (403), the panel may not be framed, its pages load no third-party fonts, and errors the router passes on (a broken or unsupported body) are
 * answered in the API's error shape instead of Express's HTML 500 page.
 */
@Injectable()
export class GuardedExpressLoader extends ExpressLoader {
  private readonly logger = new Logger('AdminPanel');
  private readonly ownOrigin: string;

  constructor(config: AppConfig) {
    super();
    this.ownOrigin = new URL(config.publicUrl).origin;
  }

  override async register(
    admin: AdminJS,
    httpAdapter: AbstractHttpAdapter,
    options: AdminModuleOptions,
  ): Promise<void> {
    await super.register(admin, httpAdapter, options);
    type Handler = (req: Request, res: Response, next: NextFunction) => void;
    const app = httpAdapter.getInstance<{ router: { stack: Array<{ name: string; handle: Handler }> } }>();
    const layer = app.router.stack.find((l) => l.name === 'admin');
    if (!layer) throw new Error('AdminJS router not found: cannot guard the admin panel');
    const router = layer.handle;
    const gate = adminGate(admin, options, this.ownOrigin);
    layer.handle = (req: Request, res: Response, next: NextFunction) => {
      res.setHeader('X-Frame-Options', 'DENY');
      const refused = crossSiteReason(req, this.ownOrigin);
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
      const passOn = (error?: unknown) => {
        if (!error || error === 'route' || error === 'router') return next(error);
        const body = errorAnswer(error);
        // Whatever the body parser choked on is the client's doing.
        const answer =
          body.statusCode >= 500
            ? { ...body, statusCode: 400, error: 'Bad Request', message: 'The request body could not be read' }
            : body;
        this.logger.debug(`Refused an admin request: ${String(error)}`);
        if (res.headersSent) return void res.destroy();
        writeErrorAnswer(res, answer);
      };
      gate(req, res, (error?: unknown) => (error ? passOn(error) : router(req, res, passOn)));
    };
  }
}
