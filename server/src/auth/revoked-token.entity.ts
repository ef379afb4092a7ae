import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';

/** A token ended by logout, kept until it would have expired anyway. */
@Entity('revoked_token')
@Index('IDX_revoked_token_expires', ['expiresAt'])
export class RevokedToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Column(timestampColumn)
  expiresAt: Date;
}
