import type { AdminModuleOptions } from '@adminjs/nestjs';
import type AdminJS from 'adminjs';
import type { CurrentAdmin } from 'adminjs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { writeErrorAnswer } from '../common/http-exception.filter.js';
import { ADMIN_FORM_BODY_BYTES, ADMIN_LOGIN_BODY_BYTES, AdminBodyError, readAdminBody } from './admin-body.js';

type Authenticate = (email: string, password: string, ctx: { req: Request; res: Response }) => Promise<unknown>;
type AdminSession = session.Session & { adminUser?: CurrentAdmin; redirectTo?: string };

const ERROR_NAMES = { 400: 'Bad Request', 403: 'Forbidden', 413: 'Payload Too Large', 415: 'Unsupported Media Type' };
/** GETs under /admin that change state (AdminJS makes them GETs): logout, and the Revoke record action. */
const STATE_CHANGING_GETS = [/^\/logout\/?$/, /^\/api\/resources\/[^/]+\/records\/[^/]+\/revoke\/?$/];

/**
 * Whether a GET that changes state may go ahead: a browser that sends `Sec-Fetch-Site` must say same-origin
 * (or none: the address typed or bookmarked); one that does not must send this panel's `Origin`. Top-level
 * cross-site navigations carry the Lax session cookie, so without this an <a href> on another site logs out.
 */
function sameOriginGet(req: Request, ownOrigin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || (site === 'none' && req.path.startsWith('/logout'));
  const target = `${req.protocol}://${req.headers.host ?? ''}`;
  return req.headers.origin === ownOrigin || req.headers.origin === target;
}

/** A page with one POST button: how logout is confirmed when the browser did not say where the GET came from. */
const LOGOUT_PAGE = (action: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log out</title></head><body>` +
  `<form method="post" action="${action}"><p>Log out of the admin panel?</p><button type="submit">Log out</button></form>` +
  `</body></html>`;

/**
 * What runs in front of @adminjs/express's router for every /admin request (STACK.md trap 16):
 * - the session is loaded here (the router's own express-session then finds it and does nothing);
 * - the body is read here, in memory, counted byte by byte against a small limit (8 KiB before login, 256 KiB
 *   after), refused with 413 before it is buffered, and handed to AdminJS as express-formidable would have
 *   (which then skips its own parsing: nothing is written to the temp folder, ever);
 * - login and logout are this panel's own routes: the stock login handler keeps a Retry entry per client
 *   address forever, and the stock logout is a GET any site can trigger.
 */
export function adminGate(admin: AdminJS, options: AdminModuleOptions, ownOrigin: string): RequestHandler {
  const auth = options.auth as unknown as { authenticate: Authenticate; cookiePassword: string; cookieName: string };
  const loadSession = session({
    ...(options.sessionOptions as session.SessionOptions),
    secret: auth.cookiePassword,
    name: auth.cookieName,
  });
  const { rootPath, loginPath } = admin.options;

  const renderLogin = async (res: Response, status: number, errorMessage: string) =>
    res.status(status).send(await admin.renderLogin({ action: loginPath, errorMessage }));

  async function login(req: Request, res: Response, fields: Record<string, unknown>) {
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    let adminUser: unknown;
    try {
      adminUser = await auth.authenticate(text(fields.email), text(fields.password), { req, res });
    } catch (error) {
      return renderLogin(res, 400, error instanceof Error ? error.message : 'invalidCredentials');
    }
    if (!adminUser) return renderLogin(res, 200, 'invalidCredentials');
    const current = req.session as AdminSession;
    current.adminUser = adminUser as CurrentAdmin;
    const redirectTo = current.redirectTo;
    await new Promise<void>((resolve, reject) => current.save((err) => (err ? reject(err) : resolve())));
    res.redirect(302, redirectTo ?? rootPath);
  }

  async function logout(req: Request, res: Response) {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
    res.redirect(302, loginPath);
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const stateChangingGet = req.method === 'GET' && STATE_CHANGING_GETS.some((re) => re.test(req.path));
    if (stateChangingGet && !sameOriginGet(req, ownOrigin)) {
      if (req.path.startsWith('/logout')) {
        res
          .status(200)
          .type('html')
          .send(LOGOUT_PAGE(`${rootPath}/logout`));
        return;
      }
      writeErrorAnswer(res, { statusCode: 403, error: 'Forbidden', message: 'Cross-site request refused' });
      return;
    }
    loadSession(req, res, (error?: unknown) => {
      if (error) return next(error);
      const isLogin = req.path === '/login' || req.path === '/login/';
      const loggedIn = Boolean((req.session as AdminSession | undefined)?.adminUser);
      const limit = loggedIn && !isLogin ? ADMIN_FORM_BODY_BYTES : ADMIN_LOGIN_BODY_BYTES;
      readAdminBody(req, limit)
        .then(async (fields) => {
          Object.assign(req, { fields, files: {}, express_formidable: { parsed: true } });
          if (req.method === 'POST' && isLogin) return login(req, res, fields);
          if ((req.method === 'POST' || stateChangingGet) && req.path.startsWith('/logout')) return logout(req, res);
          next();
        })
        .catch((failure: unknown) => {
          if (!(failure instanceof AdminBodyError)) return next(failure);
          if (failure.statusCode === 413) res.setHeader('Connection', 'close');
          writeErrorAnswer(res, {
            statusCode: failure.statusCode,
            error: ERROR_NAMES[failure.statusCode],
            message: failure.message,
          });
        });
    });
  };
}
