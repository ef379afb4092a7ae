import { LoginFailure } from '../auth/login-failure.entity';
import { RevokedToken } from '../auth/revoked-token.entity';
import { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { User } from '../users/user.entity';

export const entities = [User, Project, Ticket, Job, RevokedToken, LoginFailure];
