import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../users/user.entity.js';

/**
 * One issued refresh token (its JWT id). A token is good for one exchange: using it marks it used and the
 * new token joins the same family (one login). Presenting a used token again means it was copied, so its
 * whole family is revoked and its holder has to log in again. Deleting the user deletes their rows.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  /** The token's `jti`, generated before signing. */
  @PrimaryColumn('uuid')
  id: string;

  /** Every token descended from one login shares it. */
  @Index('IDX_refresh_tokens_family')
  @Column({ type: 'uuid' })
  familyId: string;

  @Index('IDX_refresh_tokens_user')
  @Column({ type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'userId' })
  user: Relation<User>;

  @Column({ type: 'timestamptz', precision: 3 })
  expiresAt: Date;

  /** Set when it was exchanged for a new pair. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  usedAt: Date | null;

  /** Set on the whole family when a used token came back. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
