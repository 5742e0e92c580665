import './admin-env.js'; // before adminjs
import { ExpressLoader } from '@adminjs/nestjs';
import type { AdminModuleOptions } from '@adminjs/nestjs';
import { Injectable, Logger } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type AdminJS from 'adminjs';
import type { NextFunction, Request, Response } from 'express';
import { errorAnswer, writeErrorAnswer } from '../common/http-exception.filter.js';
import { AppConfig } from '../config/config.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a state-changing request that a browser says comes from elsewhere: `Sec-Fetch-Site` other than
 * same-origin, or else an `Origin` other than the panel's own. SameSite=Lax alone lets a page on the same
 * site (another port, a sibling subdomain) post with the administrator's cookie. Requests with neither header
 * come from no browser, so carry no ambient cookie to abuse.
 */
export function crossSiteReason(req: Pick<Request, 'method' | 'headers'>, ownOrigin: string): string | null {
  if (SAFE_METHODS.has(req.method)) return null;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return `Sec-Fetch-Site is ${site}`;
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== ownOrigin) return `Origin ${origin} is not ${ownOrigin}`;
  return null;
}

/**
 * @adminjs/nestjs's Express loader, with a guard around the panel's router: cross-site writes are refused
 * (403), the panel may not be framed, and errors the router passes on (a broken or unsupported body) are
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
      router(req, res, (error?: unknown) => {
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
      });
    };
  }
}
