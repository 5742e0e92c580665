import {
  BaseEntity,
  Check,
  Column,
  Entity,
  JoinTable,
  ManyToMany,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { bigintAsNumber } from '../common/bigint-column.js';
import { Size } from './size.entity.js';
import { TIER_NAME_MAX_LENGTH } from './tier.rules.js';

/**
 * What an owner gets (thumbnail heights, the original link, expiring links) and what they may use (the
 * limits: null = none beyond the server's own).
 */
@Entity({ name: 'tiers' })
@Check('CHK_tiers_limits_positive', `"maxUploadBytes" > 0 AND "storageQuotaBytes" > 0 AND "uploadsPerDay" > 0`)
export class Tier extends BaseEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: TIER_NAME_MAX_LENGTH, unique: true })
  name: string;

  @Column({ type: 'boolean', default: false })
  originalLink: boolean;

  @Column({ type: 'boolean', default: false })
  expiringLinks: boolean;

  /** The largest file one upload may carry (the server's MAX_UPLOAD_BYTES applies as well). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  maxUploadBytes: number | null;

  /** Stored bytes of the owner's originals plus every kept thumbnail, in every format. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintAsNumber })
  storageQuotaBytes: number | null;

  /** Uploads in the last 24 hours (rolling). */
  @Column({ type: 'int', nullable: true })
  uploadsPerDay: number | null;

  @ManyToMany(() => Size, { cascade: false })
  @JoinTable({
    name: 'tier_sizes',
    joinColumn: { name: 'tierId', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'sizeId', referencedColumnName: 'id' },
  })
  sizes: Relation<Size[]>;
}
