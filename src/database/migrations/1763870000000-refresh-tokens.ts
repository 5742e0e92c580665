import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refresh tokens rotate on use; a reused one revokes its family (src/auth/refresh-token.entity.ts). */
export class RefreshTokens1763870000000 implements MigrationInterface {
  name = 'RefreshTokens1763870000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL, "familyId" uuid NOT NULL, "userId" uuid NOT NULL, "expiresAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "usedAt" TIMESTAMP(3) WITH TIME ZONE, "revokedAt" TIMESTAMP(3) WITH TIME ZONE, "createdAt" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_7d8bee0204106019488c4c50ffa" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "IDX_refresh_tokens_family" ON "refresh_tokens" ("familyId")`);
    await q.query(`CREATE INDEX "IDX_refresh_tokens_user" ON "refresh_tokens" ("userId")`);
    await q.query(
      `ALTER TABLE "refresh_tokens" ADD CONSTRAINT "FK_610102b60fea1455310ccd299de" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "refresh_tokens"`);
  }
}
