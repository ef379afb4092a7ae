import type { Project } from '../projects/project.entity';
import type { Job } from '../tickets/job.entity';
import type { Ticket } from '../tickets/ticket.entity';
import type { TicketStatus } from '../tickets/ticket.enums';
import type { User } from '../users/user.entity';
import type { WebhookEvent } from './webhook-event';

/** One job and what it belongs to, as read when the delivery is queued. */
export interface JobSource {
  job: Job;
  ticket: Ticket;
  project: Project;
  author: User;
}

/** The Job as the GraphQL API gives it (same field names; ids as strings, times as ISO 8601). */
export interface WebhookJob {
  id: string;
  createdAt: string;
  comment: string | null;
  internal: boolean;
  status: TicketStatus;
  changes: { field: string; from: string | null; to: string | null }[];
  author: { id: string; username: string };
  ticket: { id: string; title: string; status: TicketStatus; project: { id: string; name: string } };
}

export function webhookJob({ job, ticket, project, author }: JobSource): WebhookJob {
  return {
    id: String(job.id),
    createdAt: job.createdAt.toISOString(),
    comment: job.comment,
    internal: job.internal,
    status: job.status,
    changes: job.changes.map(({ field, from, to }) => ({ field, from, to })),
    author: { id: String(author.id), username: author.username },
    ticket: {
      id: String(ticket.id),
      title: ticket.title,
      status: ticket.status,
      project: { id: String(project.id), name: project.name },
    },
  };
}

/** The exact bytes POSTed (and signed), written once when queued: every retry sends the same. */
export function webhookBody(event: WebhookEvent, deliveryId: number, job: WebhookJob): string {
  return JSON.stringify({ event, deliveryId: String(deliveryId), job });
}
