import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { User } from '../users/user.entity';

/** One failed login on an existing account; the throttle counts them over a sliding window. */
@Entity('login_failure')
@Index('IDX_login_failure_user_at', ['userId', 'at'])
export class LoginFailure {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'userId' })
  user?: User;

  @Column(timestampColumn)
  at: Date;
}
