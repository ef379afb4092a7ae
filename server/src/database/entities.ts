import { UserToken } from '../accounts/user-token.entity';
import { ApiToken } from '../api-tokens/api-token.entity';
import { DomainEvent, EventConsumerCursor } from '../events/domain-event.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { SavedView } from '../saved-views/saved-view.entity';
import { RevokedToken } from '../auth/revoked-token.entity';
import { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { User } from '../users/user.entity';
import { Webhook } from '../webhooks/webhook.entity';

export const entities = [
  User,
  Project,
  Ticket,
  Job,
  RevokedToken,
  DomainEvent,
  EventConsumerCursor,
  OutboxMessage,
  UserToken,
  ApiToken,
  Webhook,
  SavedView,
];
