import { BaseEntity, Check, Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { MAX_HEIGHT, MIN_HEIGHT } from './tier.rules.js';

/** A thumbnail height that tiers can grant. */
@Entity({ name: 'sizes' })
@Check('CHK_sizes_height_range', `"height" BETWEEN ${MIN_HEIGHT} AND ${MAX_HEIGHT}`)
export class Size extends BaseEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int', unique: true })
  height: number;
}
