import {
  BaseEntity,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Tier } from '../tiers/tier.entity.js';
import { USERNAME_MAX_LENGTH } from './user.rules.js';

@Entity({ name: 'users' })
export class User extends BaseEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: USERNAME_MAX_LENGTH, unique: true })
  username: string;

  /** argon2id; never leaves the server. */
  @Column({ type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ type: 'boolean', default: false })
  isAdmin: boolean;

  @Column({ type: 'int' })
  tierId: number;

  @ManyToOne(() => Tier, { onDelete: 'RESTRICT', nullable: false })
  @JoinColumn({ name: 'tierId' })
  tier: Relation<Tier>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
