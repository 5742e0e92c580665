import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/config.js';
import { DEFAULT_TIER } from '../tiers/tier.rules.js';
import { UsersService } from '../users/users.service.js';
import { underStartupLock } from './startup-lock.js';

export const BUILT_IN_SIZES = [200, 400];

export const BUILT_IN_TIERS = [
  { name: DEFAULT_TIER, heights: [200], originalLink: false, expiringLinks: false },
  { name: 'Premium', heights: [200, 400], originalLink: true, expiringLinks: false },
  { name: 'Enterprise', heights: [200, 400], originalLink: true, expiringLinks: true },
];

/**
 * Creates the built-in sizes and tiers when missing, never touching rows an administrator may have
 * edited, and the ADMIN_USERNAME account when configured and missing. Several instances starting at once
 * take turns under the start-up lock: one creates, the others find it done (and say nothing).
 */
@Injectable()
export class SeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SeedService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.databaseReady) return; // a cluster worker: the primary seeded before forking
    const { databaseUrl, dbTimeouts } = this.config;
    await underStartupLock(databaseUrl!, dbTimeouts.connectMs, async () => {
      await this.seedTiers();
      await this.seedAdmin();
    });
  }

  private async seedTiers(): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`INSERT INTO sizes (height) SELECT unnest($1::int[]) ON CONFLICT (height) DO NOTHING`, [
        BUILT_IN_SIZES,
      ]);
      for (const tier of BUILT_IN_TIERS) {
        const created: Array<{ id: number }> = await tx.query(
          `INSERT INTO tiers (name, "originalLink", "expiringLinks") VALUES ($1, $2, $3)
           ON CONFLICT (name) DO NOTHING RETURNING id`,
          [tier.name, tier.originalLink, tier.expiringLinks],
        );
        if (created.length === 0) continue; // exists: an administrator's edits win
        await tx.query(
          `INSERT INTO tier_sizes ("tierId", "sizeId") SELECT $1, id FROM sizes WHERE height = ANY($2::int[])`,
          [created[0].id, tier.heights],
        );
        this.logger.log(`Created the built-in tier ${tier.name}`);
      }
    });
  }

  private async seedAdmin(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) return;
    // An existing account is never reset from the environment: an administrator may have changed it.
    const exists = await this.dataSource.query(`SELECT 1 FROM users WHERE username = $1`, [admin.username]);
    if (exists.length > 0) return;
    const { created } = await this.users.upsert({ username: admin.username, password: admin.password, isAdmin: true });
    if (created) this.logger.log(`Created the administrator ${admin.username}`);
  }
}
