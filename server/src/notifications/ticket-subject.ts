import { safeSubject } from '../outbox/email-subject';
import type { Ticket } from '../tickets/ticket.entity';

/** `[#42] Search box ignores accents`: the subject of every email about a ticket. */
export const ticketSubject = (ticket: Pick<Ticket, 'id' | 'title'>): string =>
  safeSubject(`[#${ticket.id}] ${ticket.title}`);
