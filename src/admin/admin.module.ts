import type { AdminModuleOptions } from '@adminjs/nestjs';
import { Inject, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { CurrentAdmin } from 'adminjs';
import type { NextFunction, Request, Response } from 'express';
import { createHmac } from 'node:crypto';
import { TooManyLoginAttemptsError } from '../auth/auth.errors.js';
import { AuthModule } from '../auth/auth.module.js';
import { AuthService } from '../auth/auth.service.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/domain-error.js';
import { AppConfig } from '../config/config.js';
import { ExpiringLinksModule } from '../expiring-links/expiring-links.module.js';
import { ExpiringLinksService } from '../expiring-links/expiring-links.service.js';
import { ImagesModule } from '../images/images.module.js';
import { ImagesService } from '../images/images.service.js';
import { LinksModule } from '../links/links.module.js';
import { PermanentLinks } from '../links/permanent-links.js';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import { TiersService } from '../tiers/tiers.service.js';
import { UsageService } from '../usage/usage.service.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import { writeErrorAnswer } from '../common/http-exception.filter.js';
import { guardAdminRouter, mountAdminPanel } from './admin-loader.js';
import { AdminSessionStore } from './session-store.js';

export const ADMIN_ROOT = '/admin';
export const ADMIN_COOKIE = 'image_api_admin';
const SESSION_HOURS = 8;

/** The session cookie's signing secrets: derived from JWT_SECRET, so no variable of its own (first signs, all verify). */
export function adminCookieSecrets(config: AppConfig): string[] {
  return config.jwtSecrets.map((secret) =>
    createHmac('sha256', secret).update('admin-session-cookie').digest('base64url'),
  );
}

/** Builds the AdminJS options from the application's services. */
@Injectable()
export class AdminPanelOptions {
  constructor(
    private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly users: UsersService,
    private readonly tiers: TiersService,
    private readonly images: ImagesService,
    private readonly links: PermanentLinks,
    private readonly grants: PrincipalCache,
    private readonly expiringLinks: ExpiringLinksService,
    private readonly clock: Clock,
    private readonly sessions: AdminSessionStore,
    private readonly usage: UsageService,
  ) {}

  /**
   * Only administrators get in, through the API's login flow (same limit, same cost for unknown users; a
   * non-admin with the right password gets the same answer as a wrong password).
   */
  async authenticate(email: unknown, password: unknown, req?: Request): Promise<CurrentAdmin | null> {
    const credentials = {
      username: typeof email === 'string' ? email.trim() : '',
      password: typeof password === 'string' ? password : '',
      address: req?.ip ?? 'unknown',
    };
    let user;
    try {
      user = await this.auth.verifyCredentials(credentials, { requireAdmin: true });
    } catch (error) {
      if (error instanceof TooManyLoginAttemptsError) throw new Error(error.message); // shown on the login page
      if (error instanceof DomainError) return null;
      throw error;
    }
    // A new session id at login (no session fixation); @adminjs/express then stores adminUser in it.
    const session = req?.session;
    if (session)
      await new Promise<void>((resolve, reject) => session.regenerate((err) => (err ? reject(err) : resolve())));
    return { id: user.id, email: user.username, title: user.username };
  }

  /** The AdminJS options; its resources and components import adminjs, so they are loaded here, on first use. */
  async build(): Promise<AdminModuleOptions> {
    const [{ componentLoader }, { buildResources }] = await Promise.all([
      import('./component-loader.js'),
      import('./resources/index.js'),
    ]);
    const secure = this.config.publicUrl.startsWith('https:');
    return {
      adminJsOptions: {
        rootPath: ADMIN_ROOT,
        loginPath: `${ADMIN_ROOT}/login`,
        logoutPath: `${ADMIN_ROOT}/logout`,
        componentLoader,
        resources: buildResources({
          users: this.users,
          tiers: this.tiers,
          images: this.images,
          links: this.links,
          grants: this.grants,
          expiringLinks: this.expiringLinks,
          clock: this.clock,
          usage: this.usage,
        }),
        branding: { companyName: 'Image API', withMadeWithLove: false, logo: false },
        settings: { defaultPerPage: 20 },
        locale: {
          language: 'en',
          availableLanguages: ['en'],
          translations: {
            en: {
              labels: { User: 'Users', Tier: 'Tiers', Size: 'Sizes', Image: 'Images', ExpiringLink: 'Expiring links' },
              actions: { revoke: 'Revoke' },
              messages: { invalidCredentials: 'Wrong username or password' },
              components: {
                Login: {
                  welcomeHeader: 'Image API',
                  welcomeMessage: 'Administrators only.',
                  properties: { email: 'Username', password: 'Password' },
                },
              },
              resources: {
                User: { properties: { tierId: 'Tier', isAdmin: 'Administrator', usage: 'Usage' } },
                Tier: {
                  properties: {
                    sizeIds: 'Thumbnail sizes',
                    thumbnailHeights: 'Thumbnail heights',
                    originalLink: 'Original link',
                    expiringLinks: 'Expiring links',
                    maxUpload: 'Max upload size',
                    storageQuota: 'Storage quota',
                    uploadsPerDay: 'Uploads per day',
                  },
                },
                Size: { properties: { height: 'Height (px)' } },
                Image: { properties: { previewUrl: 'Preview', ownerId: 'Owner' } },
                ExpiringLink: {
                  properties: {
                    imageId: 'Image',
                    createdById: 'Created by',
                    expiresAt: 'Expires at',
                    revokedAt: 'Revoked at',
                  },
                },
              },
            },
          },
        },
      },
      auth: {
        cookieName: ADMIN_COOKIE,
        // express-session takes a list (first signs, all verify); @adminjs/express passes this through as `secret`.
        cookiePassword: adminCookieSecrets(this.config) as unknown as string,
        authenticate: (email: string, password: string, ctx?: { req?: Request }) =>
          this.authenticate(email, password, ctx?.req),
      },
      sessionOptions: {
        secret: adminCookieSecrets(this.config), // @adminjs/express sets it from cookiePassword anyway
        store: this.sessions.store,
        resave: false,
        saveUninitialized: false,
        rolling: true,
        // Behind a TLS-terminating proxy, set TRUST_PROXY so that req.secure is true and the cookie is sent.
        cookie: { httpOnly: true, sameSite: 'lax', secure, path: ADMIN_ROOT, maxAge: SESSION_HOURS * 3600_000 },
      },
    };
  }
}

@Module({
  imports: [UsersModule, ImagesModule, AuthModule, ExpiringLinksModule, LinksModule],
  providers: [AdminSessionStore, AdminPanelOptions],
  exports: [AdminPanelOptions],
})
class AdminPanelDepsModule {}

/**
 * AdminJS at /admin (issue 5): Users, Tiers, Sizes, Images, Expiring links. Mounted at start as a small function;
 * AdminJS itself (src/admin/admin-panel.ts) is imported and built on the first request under /admin, which waits
 * for it (a second or two), and every later request goes straight to its router.
 */
@Injectable()
class AdminPanelMount implements OnModuleInit {
  private readonly logger = new Logger('AdminPanel');
  private router?: Promise<(req: Request, res: Response, next: NextFunction) => void>;

  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(AdminPanelOptions) private readonly options: AdminPanelOptions,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  private load() {
    return (this.router ??= (async () => {
      const { buildAdminRouter } = await import('./admin-panel.js');
      const router = buildAdminRouter(await this.options.build(), new URL(this.config.publicUrl).origin);
      this.logger.log('Admin panel loaded');
      return router;
    })().catch((error: unknown) => {
      this.router = undefined; // the next request tries again
      throw error;
    }));
  }

  onModuleInit(): void {
    const lazy = (req: Request, res: Response, next: NextFunction) => {
      this.load().then(
        (router) => router(req, res, next),
        (error: unknown) => {
          this.logger.error(`The admin panel could not be loaded: ${String(error)}`);
          writeErrorAnswer(res, {
            statusCode: 503,
            error: 'Service Unavailable',
            message: 'The admin panel could not be loaded',
          });
        },
      );
    };
    const ownOrigin = new URL(this.config.publicUrl).origin;
    mountAdminPanel(this.host.httpAdapter.getInstance(), ADMIN_ROOT, guardAdminRouter(lazy, ownOrigin));
  }
}

@Module({ imports: [AdminPanelDepsModule], providers: [AdminPanelMount] })
export class AdminModule {}
