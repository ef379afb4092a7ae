import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';

/** One failed login; the throttle counts them per key over a sliding window. */
@Entity('login_failure')
@Index('IDX_login_failure_key_at', ['key', 'at'])
@Index('IDX_login_failure_at', ['at'])
export class LoginFailure {
  @PrimaryGeneratedColumn()
  id: number;

  /** `login:<login as typed, trimmed and lower-cased>`; older rows keyed `user:<id>` age out unread. */
  @Column({ type: 'varchar', length: 300 })
  key: string;

  @Column(timestampColumn)
  at: Date;
}
