import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns an image's entry in a listing shows (ImagesRepository's PAGE_COLUMNS), and its owner. */
const LISTED = `"ownerId", "title", "description", "format", "width", "height", "bytes", "placeholder", "createdAt"`;

/**
 * Every instance caches each owner's first page of images; any change to what a listing shows (an insert, a
 * delete, an edit of a listed column, from the API, the admin panel, the CLI or plain SQL) announces the
 * owner's id on images_listed, and every instance drops that owner's page. TRUNCATE announces '' (all).
 * The usage columns (storedBytes, storedKeys), updated with every thumbnail made, announce nothing.
 */
export class ImagePageNotifications1763930000000 implements MigrationInterface {
  name = 'ImagePageNotifications1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION "notify_images_listed"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN PERFORM pg_notify('images_listed', '');
        ELSIF TG_OP = 'INSERT' THEN PERFORM pg_notify('images_listed', NEW."ownerId"::text);
        ELSIF TG_OP = 'DELETE' THEN PERFORM pg_notify('images_listed', OLD."ownerId"::text);
        ELSE
          PERFORM pg_notify('images_listed', OLD."ownerId"::text);
          PERFORM pg_notify('images_listed', NEW."ownerId"::text); -- one notification when they are the same
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER "TRG_images_listed" AFTER INSERT OR DELETE OR UPDATE OF ${LISTED} ON "images" FOR EACH ROW EXECUTE FUNCTION "notify_images_listed"()`,
    );
    await q.query(
      `CREATE TRIGGER "TRG_images_truncated" AFTER TRUNCATE ON "images" FOR EACH STATEMENT EXECUTE FUNCTION "notify_images_listed"()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "TRG_images_truncated" ON "images"`);
    await q.query(`DROP TRIGGER "TRG_images_listed" ON "images"`);
    await q.query(`DROP FUNCTION "notify_images_listed"()`);
  }
}
