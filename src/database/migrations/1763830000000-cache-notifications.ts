import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Serving caches follow the database on every instance: a deleted image (API, admin panel, CLI or SQL) and a
 * revoked expiring link are announced with the row's id, so each instance drops it from its caches and the
 * next request answers 404 or 410. (Link rows are otherwise deleted only with their image, or by the clean-up
 * long after their token expired: both already covered.)
 */
export class CacheNotifications1763830000000 implements MigrationInterface {
  name = 'CacheNotifications1763830000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION "notify_row_id"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify(TG_ARGV[0], OLD.id::text); RETURN NULL; END $$`);
    await q.query(
      `CREATE TRIGGER "TRG_images_deleted" AFTER DELETE ON "images" FOR EACH ROW EXECUTE FUNCTION "notify_row_id"('images_deleted')`,
    );
    await q.query(
      `CREATE TRIGGER "TRG_expiring_links_changed" AFTER UPDATE OF "revokedAt" ON "expiring_links" FOR EACH ROW EXECUTE FUNCTION "notify_row_id"('expiring_links_changed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "TRG_expiring_links_changed" ON "expiring_links"`);
    await q.query(`DROP TRIGGER "TRG_images_deleted" ON "images"`);
    await q.query(`DROP FUNCTION "notify_row_id"()`);
  }
}
