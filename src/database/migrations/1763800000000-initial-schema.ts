import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "sizes" ("id" SERIAL NOT NULL, "height" integer NOT NULL, CONSTRAINT "UQ_eeb86c85490f49bd4ad10b82f5a" UNIQUE ("height"), CONSTRAINT "CHK_sizes_height_range" CHECK ("height" BETWEEN 1 AND 10000), CONSTRAINT "PK_09ffc681886e25eb5ce3b319fab" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "tiers" ("id" SERIAL NOT NULL, "name" character varying(100) NOT NULL, "originalLink" boolean NOT NULL DEFAULT false, "expiringLinks" boolean NOT NULL DEFAULT false, CONSTRAINT "UQ_ef8721c02725f7720897bfc358b" UNIQUE ("name"), CONSTRAINT "PK_908405492b9b2c2ae1cea1e1cc0" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "username" character varying(100) NOT NULL, "passwordHash" character varying(255) NOT NULL, "isAdmin" boolean NOT NULL DEFAULT false, "tierId" integer NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_fe0bb3f6520ee0469504521e710" UNIQUE ("username"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE TABLE "images" ("id" uuid NOT NULL, "ownerId" uuid NOT NULL, "title" character varying(200), "description" character varying(2000), "format" character varying(4) NOT NULL, "width" integer NOT NULL, "height" integer NOT NULL, "bytes" integer NOT NULL, "createdAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_1fe148074c6a1a91b63cb9ee3c9" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_images_owner_created_id" ON "images" ("ownerId", "createdAt", "id")`);
    await q.query(
      `CREATE TABLE "tier_sizes" ("tierId" integer NOT NULL, "sizeId" integer NOT NULL, CONSTRAINT "PK_451cc6165a490ff2241879bb773" PRIMARY KEY ("tierId", "sizeId"))`,
    );
    await q.query(`CREATE INDEX "IDX_a58b4e56c51afc7d75e0ff6e1e" ON "tier_sizes" ("tierId")`);
    await q.query(`CREATE INDEX "IDX_98a09df66d1c1f4dde1a676df4" ON "tier_sizes" ("sizeId")`);
    await q.query(
      `ALTER TABLE "users" ADD CONSTRAINT "FK_de96fb40739e191029b71792a5a" FOREIGN KEY ("tierId") REFERENCES "tiers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "images" ADD CONSTRAINT "FK_28bb3c8c8b043b096b63a45eb81" FOREIGN KEY ("ownerId") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "tier_sizes" ADD CONSTRAINT "FK_a58b4e56c51afc7d75e0ff6e1ec" FOREIGN KEY ("tierId") REFERENCES "tiers"("id") ON DELETE CASCADE ON UPDATE CASCADE`,
    );
    await q.query(
      `ALTER TABLE "tier_sizes" ADD CONSTRAINT "FK_98a09df66d1c1f4dde1a676df42" FOREIGN KEY ("sizeId") REFERENCES "sizes"("id") ON DELETE CASCADE ON UPDATE CASCADE`,
    );

    // Failed logins per (username, address), shared by every instance (rate-limiter-flexible's table layout).
    await q.query(
      `CREATE TABLE "login_failures" ("key" character varying(255) PRIMARY KEY, "points" integer NOT NULL DEFAULT 0, "expire" bigint)`,
    );

    // Every instance caches "what does this owner get"; any change to users, tiers or sizes, from the API,
    // the admin panel, the CLI or plain SQL, tells every instance to drop that cache (LISTEN grants_changed).
    await q.query(`CREATE FUNCTION "notify_grants_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('grants_changed', TG_TABLE_NAME); RETURN NULL; END $$`);
    for (const table of ['users', 'tiers', 'sizes', 'tier_sizes']) {
      await q.query(
        `CREATE TRIGGER "TRG_${table}_grants_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "notify_grants_changed"()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['users', 'tiers', 'sizes', 'tier_sizes']) {
      await q.query(`DROP TRIGGER "TRG_${table}_grants_changed" ON "${table}"`);
    }
    await q.query(`DROP FUNCTION "notify_grants_changed"()`);
    await q.query(`DROP TABLE "login_failures"`);
    await q.query(`DROP TABLE "tier_sizes"`);
    await q.query(`DROP TABLE "images"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP TABLE "tiers"`);
    await q.query(`DROP TABLE "sizes"`);
  }
}
