import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tier limits (null = none) and what each user uses, kept exact in PostgreSQL (the source of truth for every
 * instance; nothing is counted in memory):
 * - images."storedBytes": the original plus every thumbnail counted so far (storedKeys: which ones);
 * - user_usage: images and stored bytes per user, maintained by a trigger on images, so that any insert,
 *   thumbnail added or delete (API, admin panel, SQL) moves it in the same transaction;
 * - upload_events: one row per upload (written by the same trigger), for the rolling 24-hour count;
 * - upload_reservations: bytes promised to uploads in flight, taken under the user_usage row lock before the
 *   files are stored and dropped in the transaction that inserts the image (or on failure; a crashed
 *   process's reservation stops counting after a while, see src/usage/usage.repository.ts).
 */
export class TierLimitsAndUsage1763920000000 implements MigrationInterface {
  name = 'TierLimitsAndUsage1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "tiers" ADD "maxUploadBytes" bigint, ADD "storageQuotaBytes" bigint, ADD "uploadsPerDay" integer`,
    );
    await q.query(
      `ALTER TABLE "tiers" ADD CONSTRAINT "CHK_tiers_limits_positive" CHECK ("maxUploadBytes" > 0 AND "storageQuotaBytes" > 0 AND "uploadsPerDay" > 0)`,
    );
    await q.query(
      `ALTER TABLE "images" ADD "storedBytes" bigint NOT NULL DEFAULT 0, ADD "storedKeys" text array NOT NULL DEFAULT '{}'`,
    );
    // Images from before: their originals (thumbnails already stored were never measured).
    await q.query(`UPDATE "images" SET "storedBytes" = "bytes"`);

    await q.query(
      `CREATE TABLE "user_usage" ("userId" uuid PRIMARY KEY REFERENCES "users"("id") ON DELETE CASCADE, "images" integer NOT NULL DEFAULT 0, "storedBytes" bigint NOT NULL DEFAULT 0)`,
    );
    await q.query(
      `INSERT INTO "user_usage" ("userId", "images", "storedBytes") SELECT "ownerId", count(*), sum("storedBytes") FROM "images" GROUP BY "ownerId"`,
    );
    await q.query(
      `CREATE TABLE "upload_events" ("userId" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL)`,
    );
    await q.query(`CREATE INDEX "IDX_upload_events_user_at" ON "upload_events" ("userId", "at")`);
    await q.query(
      `CREATE TABLE "upload_reservations" ("id" uuid PRIMARY KEY, "userId" uuid NOT NULL REFERENCES "users"("id") ON DELETE CASCADE, "bytes" bigint NOT NULL, "createdAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL)`,
    );
    await q.query(`CREATE INDEX "IDX_upload_reservations_user" ON "upload_reservations" ("userId")`);

    await q.query(`CREATE FUNCTION "count_image_usage"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE "user_usage" SET "images" = "images" - 1, "storedBytes" = "storedBytes" - OLD."storedBytes"
           WHERE "userId" = OLD."ownerId";
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
          INSERT INTO "user_usage" ("userId", "images", "storedBytes") VALUES (NEW."ownerId", 1, NEW."storedBytes")
            ON CONFLICT ("userId") DO UPDATE
            SET "images" = "user_usage"."images" + 1, "storedBytes" = "user_usage"."storedBytes" + NEW."storedBytes";
        END IF;
        IF TG_OP = 'INSERT' THEN
          INSERT INTO "upload_events" ("userId", "at") VALUES (NEW."ownerId", NEW."createdAt");
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER "TRG_images_usage" AFTER INSERT OR DELETE OR UPDATE OF "storedBytes", "ownerId" ON "images" FOR EACH ROW EXECUTE FUNCTION "count_image_usage"()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "TRG_images_usage" ON "images"`);
    await q.query(`DROP FUNCTION "count_image_usage"()`);
    await q.query(`DROP TABLE "upload_reservations"`);
    await q.query(`DROP TABLE "upload_events"`);
    await q.query(`DROP TABLE "user_usage"`);
    await q.query(`ALTER TABLE "images" DROP COLUMN "storedKeys", DROP COLUMN "storedBytes"`);
    await q.query(`ALTER TABLE "tiers" DROP CONSTRAINT "CHK_tiers_limits_positive"`);
    await q.query(
      `ALTER TABLE "tiers" DROP COLUMN "uploadsPerDay", DROP COLUMN "storageQuotaBytes", DROP COLUMN "maxUploadBytes"`,
    );
  }
}
