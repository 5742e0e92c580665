import { BaseEntity, Check, Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A thumbnail height that tiers can grant. */
@Entity({ name: 'sizes' })
@Check('CHK_sizes_height_range', '"height" BETWEEN 1 AND 10000')
export class Size extends BaseEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int', unique: true })
  height: number;
}
