import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ExpiringLinksAndAdminSessions1763810000000 implements MigrationInterface {
  name = 'ExpiringLinksAndAdminSessions1763810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "expiring_links" ("id" uuid NOT NULL, "imageId" uuid NOT NULL, "createdById" uuid NOT NULL, "variant" character varying(16) NOT NULL, "expiresAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "revokedAt" TIMESTAMP(3) WITH TIME ZONE, "createdAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d6ea302a767782b879b8ca42cec" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_expiring_links_image" ON "expiring_links" ("imageId")`);
    await q.query(`CREATE INDEX "IDX_expiring_links_expires_at" ON "expiring_links" ("expiresAt")`);
    await q.query(
      `ALTER TABLE "expiring_links" ADD CONSTRAINT "FK_ddf5a1b16e40c751f60b2a4019f" FOREIGN KEY ("imageId") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "expiring_links" ADD CONSTRAINT "FK_108ecd29936b44b4c069e2b1f59" FOREIGN KEY ("createdById") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    // Admin panel sessions (connect-pg-simple's layout), shared by every instance.
    await q.query(
      `CREATE TABLE "admin_sessions" ("sid" character varying NOT NULL PRIMARY KEY, "sess" json NOT NULL, "expire" timestamp(6) NOT NULL)`,
    );
    await q.query(`CREATE INDEX "IDX_admin_sessions_expire" ON "admin_sessions" ("expire")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "admin_sessions"`);
    await q.query(`DROP TABLE "expiring_links"`);
  }
}
