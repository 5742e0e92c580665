import { BaseEntity, Column, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Size } from './size.entity.js';
import { TIER_NAME_MAX_LENGTH } from './tier.rules.js';

/** What an owner gets: thumbnail heights (sizes), the original link, expiring links. */
@Entity({ name: 'tiers' })
export class Tier extends BaseEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: TIER_NAME_MAX_LENGTH, unique: true })
  name: string;

  @Column({ type: 'boolean', default: false })
  originalLink: boolean;

  @Column({ type: 'boolean', default: false })
  expiringLinks: boolean;

  @ManyToMany(() => Size, { cascade: false })
  @JoinTable({
    name: 'tier_sizes',
    joinColumn: { name: 'tierId', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'sizeId', referencedColumnName: 'id' },
  })
  sizes: Relation<Size[]>;
}
