import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Images get a placeholder (ThumbHash, base64). Existing rows stay null until `npm run cli -- placeholders`
 * or their next thumbnail job fills them: nothing is decoded at start-up.
 */
export class ImagePlaceholders1763919000000 implements MigrationInterface {
  name = 'ImagePlaceholders1763919000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "images" ADD "placeholder" character varying(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "images" DROP COLUMN "placeholder"`);
  }
}
