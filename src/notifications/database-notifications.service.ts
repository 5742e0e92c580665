import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { pgClientTimeouts } from '../common/pg-timeouts.js';

/** Channels the database's triggers notify on (see the migrations), plus the marker channel of settled(). */
const CHANNELS = ['grants_changed', 'images_deleted', 'images_listed', 'expiring_links_changed'] as const;
export type Channel = (typeof CHANNELS)[number];
const MARKERS = 'notifications_settled';

type Handler = (payload: string) => void;

/**
 * One LISTEN connection per process for every cache that must follow the database: triggers NOTIFY on
 * changes (whoever makes them: this instance, another one, the CLI, plain SQL), and handlers drop what they
 * cached. While the connection is down, `live` is false and every cache must be bypassed (handlers of
 * `onReset` run on loss and on reconnection, so nothing missed meanwhile survives); it reconnects by itself.
 */
@Injectable()
export class DatabaseNotifications implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DatabaseNotifications');
  private readonly handlers = new Map<string, Handler[]>();
  private readonly resets: Array<(phase: 'lost' | 'back') => void> = [];
  private readonly markers = new Map<string, () => void>();
  private client?: pg.Client;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  /** True while notifications arrive: caches may be used. */
  live = false;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  on(channel: Channel, handler: Handler): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  /** Runs when the connection is lost and when it is back: what was cached may have missed a change. */
  onReset(handler: (phase: 'lost' | 'back') => void): void {
    this.resets.push(handler);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  /**
   * Resolves once every change committed before this call has reached this process: PostgreSQL delivers
   * notifications in commit order, so receiving a marker sent now means all earlier ones arrived. For writers
   * that must read their own change through a cache at once (tests, scripts).
   */
  async settled(): Promise<void> {
    if (!this.live) return; // caches are bypassed meanwhile
    const marker = randomUUID();
    const received = new Promise<void>((resolve) => this.markers.set(marker, resolve));
    await this.dataSource.query(`SELECT pg_notify('${MARKERS}', $1)`, [marker]);
    await received;
  }

  private reset(phase: 'lost' | 'back'): void {
    for (const handler of this.resets) handler(phase);
  }

  private async connect(): Promise<void> {
    const options = this.dataSource.options as { url?: string };
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'image-api-notifications',
      ...pgClientTimeouts(),
    });
    const lost = (reason: unknown) => {
      if (this.client !== client) return;
      this.live = false;
      this.client = undefined;
      this.reset('lost');
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(`Lost the LISTEN connection (${String(reason)}); retrying, caches bypassed meanwhile`);
      this.reconnectTimer = setTimeout(() => void this.connect(), 1000);
      this.reconnectTimer.unref();
    };
    this.client = client;
    client.on('error', lost);
    client.on('end', () => lost('connection ended'));
    client.on('notification', ({ channel, payload = '' }) => {
      if (channel === MARKERS) {
        this.markers.get(payload)?.();
        this.markers.delete(payload);
        return;
      }
      for (const handler of this.handlers.get(channel) ?? []) handler(payload);
    });
    try {
      await client.connect();
      await client.query([...CHANNELS, MARKERS].map((channel) => `LISTEN ${channel};`).join(' '));
      this.reset('back');
      this.live = true;
    } catch (error) {
      lost(error);
    }
  }
}
