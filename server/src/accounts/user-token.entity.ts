import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';

export enum TokenPurpose {
  VERIFY_EMAIL = 'verify-email',
  RESET_PASSWORD = 'reset-password',
}

/**
 * A single-use link sent by email (address verification, password reset). Only a hash of the secret
 * is kept, so a copy of the database cannot be used to take over accounts.
 */
@Entity('user_token')
@Index('IDX_user_token_user', ['userId', 'purpose'])
export class UserToken {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @Column({ type: 'varchar', length: 16 })
  purpose: TokenPurpose;

  /** SHA-256 of the secret sent in the link, hex. */
  @Index('UQ_user_token_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  tokenHash: string;

  /** For an address verification: the address it verifies (the user may have changed it since). */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column(timestampColumn)
  createdAt: Date;

  @Column(timestampColumn)
  expiresAt: Date;

  @Column({ ...timestampColumn, nullable: true })
  usedAt: Date | null;
}
