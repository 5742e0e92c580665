import './admin-env.js'; // before adminjs: sets ADMIN_JS_TMP_DIR / ADMIN_JS_SKIP_BUNDLE
import AdminJSExpress from '@adminjs/express';
import type { AdminModuleOptions } from '@adminjs/nestjs';
import AdminJS from 'adminjs';
import type { NextFunction, Request, Response } from 'express';
import { adminGate } from './admin-gate.js';

// AdminJS.watch() outside production starts a rollup watcher that keeps node alive after app.close() and rewrites
// the bundle. The bundle is built once by `npm run build` and served from disk instead; ADMIN_JS_WATCH=true brings
// the watcher back while editing src/admin/components (development).
if (process.env.NODE_ENV !== 'production' && process.env.ADMIN_JS_WATCH !== 'true') {
  AdminJS.prototype.watch = async () => undefined;
}

/**
 * The panel itself: AdminJS and its Express router, as @adminjs/nestjs's ExpressLoader builds them. Imported on the
 * first request under /admin only (src/admin/admin.module.ts): AdminJS, its resources and @adminjs/express weigh
 * about 45 MB of heap that a server nobody administers should not carry.
 */
export function buildAdminRouter(
  options: AdminModuleOptions,
  ownOrigin: string,
): (req: Request, res: Response, next: NextFunction) => void {
  const admin = new AdminJS(options.adminJsOptions);
  void admin.watch();
  const router = options.auth
    ? AdminJSExpress.buildAuthenticatedRouter(
        admin,
        options.auth,
        undefined,
        options.sessionOptions,
        options.formidableOptions,
      )
    : AdminJSExpress.buildRouter(admin, undefined, options.formidableOptions);
  // The session, the counted body, login and logout come first (src/admin/admin-gate.ts), then AdminJS's router.
  const gate = adminGate(admin, options, ownOrigin);
  return (req, res, next) => gate(req, res, (error?: unknown) => (error ? next(error) : router(req, res, next)));
}
