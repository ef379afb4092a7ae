import DataLoader from 'dataloader';
import { In } from 'typeorm';
import { whereTicketVisible } from './access/access-policy';
import type { Database } from './database/data-source';
import { Project } from './projects/project.entity';
import { Job } from './tickets/job.entity';
import { Ticket } from './tickets/ticket.entity';
import { firstDoneStatusRank } from './tickets/ticket.enums';
import { User } from './users/user.entity';
import { recentDeliveriesOf } from './webhooks/recent-deliveries';
import type { WebhookDelivery } from './webhooks/webhook-delivery';

/** Per-request batching: a page of N tickets costs one query per relation, not N. */
export interface Loaders {
  userById: DataLoader<number, User | null>;
  projectById: DataLoader<number, Project | null>;
  ticketById: DataLoader<number, Ticket | null>;
  /** One job, whoever may see it: the caller applies visibility (an ADMIN's webhook deliveries). */
  jobById: DataLoader<number, Job | null>;
  /** Every job of each ticket, oldest first; visibility is applied by the caller. */
  jobsByTicketId: DataLoader<number, Job[]>;
  /** Open tickets per project, counting only the tickets the viewer may see. */
  openTicketCountByProjectId: DataLoader<number, number>;
  /** The last deliveries of each webhook, newest first (ADMIN only, checked by the resolver). */
  recentDeliveriesByWebhookId: DataLoader<number, WebhookDelivery[]>;
}

function byId<T extends { id: number }>(rows: T[], ids: readonly number[]): (T | null)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? null);
}

export function createLoaders(database: Database, viewer: () => User | null): Loaders {
  const manager = database.manager;
  return {
    userById: new DataLoader(async (ids) => byId(await manager.findBy(User, { id: In([...ids]) }), ids)),
    projectById: new DataLoader(async (ids) =>
      byId(await manager.findBy(Project, { id: In([...ids]) }), ids),
    ),
    ticketById: new DataLoader(async (ids) => byId(await manager.findBy(Ticket, { id: In([...ids]) }), ids)),
    jobById: new DataLoader(async (ids) => byId(await manager.findBy(Job, { id: In([...ids]) }), ids)),
    jobsByTicketId: new DataLoader(async (ticketIds) => {
      const jobs = await manager.find(Job, { where: { ticketId: In([...ticketIds]) }, order: { id: 'ASC' } });
      const grouped = new Map<number, Job[]>(ticketIds.map((id) => [id, []]));
      for (const job of jobs) grouped.get(job.ticketId)?.push(job);
      return ticketIds.map((id) => grouped.get(id) ?? []);
    }),
    openTicketCountByProjectId: new DataLoader(async (projectIds) => {
      const user = viewer();
      const query = manager
        .createQueryBuilder(Ticket, 't')
        .select('t.projectId', 'projectId')
        .addSelect('COUNT(*)', 'count')
        .where('t.projectId IN (:...projectIds)', { projectIds: [...projectIds] })
        .andWhere('t.status < :done', { done: firstDoneStatusRank })
        .groupBy('t.projectId');
      if (!user) return projectIds.map(() => 0);
      whereTicketVisible(query, user);
      const rows = await query.getRawMany<{ projectId: number | string; count: number | string }>();
      const counts = new Map(rows.map((row) => [Number(row.projectId), Number(row.count)]));
      return projectIds.map((id) => counts.get(id) ?? 0);
    }),
    recentDeliveriesByWebhookId: new DataLoader((webhookIds) => recentDeliveriesOf(manager, webhookIds)),
  };
}
