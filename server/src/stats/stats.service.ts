import type { SelectQueryBuilder } from 'typeorm';
import { canSeeWhoFigures, whereTicketVisible } from '../access/access-policy';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError } from '../errors';
import { Ticket } from '../tickets/ticket.entity';
import { TicketCategory, firstDoneStatusRank, priorityOrder, statusOrder } from '../tickets/ticket.enums';
import type { User } from '../users/user.entity';
import {
  type BucketUnit,
  MAX_PERIOD_MS,
  type SeriesPeriod,
  days,
  seriesPeriod,
  weeks,
} from './stats-periods';
import { CountByKey, DayCount, Stats, WeekCount } from './stats.types';

export interface StatsQuery {
  projectId?: number;
  from?: Date | null;
  to?: Date | null;
}

interface Filter {
  viewer: User;
  projectId?: number;
  from?: Date;
  to?: Date;
}

interface BucketCount {
  start: Date;
  opened: number;
  closed: number;
}

const MS_PER_HOUR = 3_600_000;
const categoryOrder = Object.values(TicketCategory);

// Raw values may come back as strings (PostgreSQL bigint, COUNT), so every figure goes through Number().
type RawCount = { key: string | number | null; count: string | number };

const byCountThenKey = (a: CountByKey, b: CountByKey) => b.count - a.count || a.key.localeCompare(b.key);

/**
 * Dashboard figures, computed with GROUP BY queries on the indexed ticket columns: no ticket is loaded
 * into memory, whatever the size of the database.
 */
export class StatsService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  async stats(viewer: User, query: StatsQuery): Promise<Stats> {
    const now = this.clock.now();
    const filter: Filter = {
      viewer,
      projectId: query.projectId,
      from: query.from ?? undefined,
      to: query.to ?? undefined,
    };
    this.assertPeriod(filter, now);
    const staff = canSeeWhoFigures(viewer);

    const byStatus = await this.countEach(filter, 't.status', statusOrder, 'rank');
    const open = byStatus.slice(0, firstDoneStatusRank).reduce((sum, entry) => sum + entry.count, 0);
    const closed = byStatus.slice(firstDoneStatusRank).reduce((sum, entry) => sum + entry.count, 0);
    const weekly = await this.series(filter, weeks, now);
    const daily = await this.series(filter, days, now);
    return {
      total: open + closed,
      open,
      closed,
      byStatus,
      byProject: await this.byProject(filter),
      byCategory: await this.countEach(filter, 't.category', categoryOrder, 'name'),
      byPriority: await this.countEach(filter, 't.priority', priorityOrder, 'rank'),
      // Who reports and who holds the work are staff figures; a USER would only see themself.
      byAuthor: staff ? await this.byAuthor(filter) : [],
      byAssignee: staff ? await this.byAssignee(filter) : [],
      perWeek: weekly.map(({ start, opened, closed }): WeekCount => ({ weekStart: start, opened, closed })),
      perDay: daily.map(({ start, opened, closed }): DayCount => ({ day: start, opened, closed })),
      medianHoursToClose: await this.medianHoursToClose(filter),
    };
  }

  private assertPeriod({ from, to }: Filter, now: Date): void {
    const end = to ?? now;
    if (from && from.getTime() > end.getTime()) {
      throw BadInputError.field('from', 'range', `from must not be after ${to ? 'to' : 'now'}.`);
    }
    // The period sets the number of series buckets: bound it so one query cannot ask for millions.
    if (end.getTime() - (from?.getTime() ?? end.getTime()) > MAX_PERIOD_MS) {
      throw BadInputError.field('from', 'range', 'The period may span at most 260 weeks (about five years).');
    }
  }

  /** The tickets the viewer may see, in the chosen project (an unknown one simply has no tickets). */
  private visible({ viewer, projectId }: Filter): SelectQueryBuilder<Ticket> {
    const query = whereTicketVisible(this.database.manager.createQueryBuilder(Ticket, 't'), viewer);
    if (projectId !== undefined) query.andWhere('t.projectId = :projectId', { projectId });
    return query;
  }

  /** The visible tickets opened within the period, if one was given. */
  private created(filter: Filter): SelectQueryBuilder<Ticket> {
    const query = this.visible(filter);
    if (filter.from) query.andWhere('t.createdAt >= :from', { from: filter.from.getTime() });
    if (filter.to) query.andWhere('t.createdAt < :to', { to: filter.to.getTime() });
    return query;
  }

  /** Every value of an enum in declaration order, zeros included; `stored` says how the column holds it. */
  private async countEach<T extends string>(
    filter: Filter,
    column: string,
    values: readonly T[],
    stored: 'rank' | 'name',
  ): Promise<CountByKey[]> {
    const rows = await this.created(filter)
      .select(column, 'key')
      .addSelect('COUNT(*)', 'count')
      .groupBy(column)
      .getRawMany<RawCount>();
    const counts = new Map(rows.map((row) => [String(row.key), Number(row.count)]));
    return values.map((value, rank) => ({
      key: value,
      count: counts.get(stored === 'rank' ? String(rank) : value) ?? 0,
    }));
  }

  private async byProject(filter: Filter): Promise<CountByKey[]> {
    const rows = await this.created(filter)
      .innerJoin('t.project', 'p')
      .select('p.name', 'key')
      .addSelect('COUNT(*)', 'count')
      .groupBy('p.id')
      .addGroupBy('p.name')
      .getRawMany<RawCount>();
    return this.sorted(rows);
  }

  private async byAuthor(filter: Filter): Promise<CountByKey[]> {
    const rows = await this.created(filter)
      .innerJoin('t.author', 'u')
      .select('u.username', 'key')
      .addSelect('COUNT(*)', 'count')
      .groupBy('u.id')
      .addGroupBy('u.username')
      .getRawMany<RawCount>();
    return this.sorted(rows);
  }

  private async byAssignee(filter: Filter): Promise<CountByKey[]> {
    const rows = await this.created(filter)
      .andWhere('t.status < :done', { done: firstDoneStatusRank })
      .leftJoin('t.assignee', 'u')
      .select('u.username', 'key')
      .addSelect('COUNT(*)', 'count')
      .groupBy('t.assigneeId')
      .addGroupBy('u.username')
      .getRawMany<RawCount>();
    return this.sorted(rows);
  }

  /** Ties are ordered in JS so that SQLite and PostgreSQL (whose collations differ) agree. */
  private sorted(rows: RawCount[]): CountByKey[] {
    return rows
      .map((row) => ({ key: row.key == null ? '' : String(row.key), count: Number(row.count) }))
      .sort(byCountThenKey);
  }

  /**
   * Opened counts tickets by createdAt, closed counts the tickets now RESOLVED or CLOSED by closedAt, each
   * within the series period (a ticket opened before the period but closed in it counts as closed in it).
   */
  private async series(filter: Filter, unit: BucketUnit, now: Date): Promise<BucketCount[]> {
    const period = seriesPeriod(unit, filter.from, filter.to, now);
    const opened = await this.bucketCounts(this.visible(filter), 't.createdAt', unit, period);
    const done = this.visible(filter).andWhere('t.status >= :done', { done: firstDoneStatusRank });
    const closed = await this.bucketCounts(done, 't.closedAt', unit, period);
    return Array.from({ length: period.count }, (_, index) => ({
      start: new Date(period.firstStart + index * unit.width),
      opened: opened.get(index) ?? 0,
      closed: closed.get(index) ?? 0,
    }));
  }

  /** Counts per bucket index, counted from the first bucket so that the division runs on non-negative values. */
  private async bucketCounts(
    query: SelectQueryBuilder<Ticket>,
    column: string,
    unit: BucketUnit,
    period: SeriesPeriod,
  ): Promise<Map<number, number>> {
    // CAST truncates (a floor, as the value is non-negative) and keeps the index whole however a driver binds numbers.
    const bucket = `CAST((${column} - :firstStart) / ${unit.width} AS INTEGER)`;
    const rows = await query
      .andWhere(`${column} >= :periodFrom AND ${column} < :periodTo`, {
        periodFrom: period.from,
        periodTo: period.to,
      })
      .select(bucket, 'bucket')
      .addSelect('COUNT(*)', 'count')
      .setParameter('firstStart', period.firstStart)
      .groupBy(bucket)
      .getRawMany<{ bucket: string | number; count: string | number }>();
    return new Map(rows.map((row) => [Number(row.bucket), Number(row.count)]));
  }

  /** Fetches only the middle one or two durations (ORDER BY with OFFSET): portable, and no rows in memory. */
  private async medianHoursToClose(filter: Filter): Promise<number | null> {
    const done = this.created(filter)
      .andWhere('t.status >= :done', { done: firstDoneStatusRank })
      .andWhere('t.closedAt IS NOT NULL');
    const count = await done.clone().getCount();
    if (count === 0) return null;
    const duration = 't.closedAt - t.createdAt';
    const middle = await done
      .select(duration, 'duration')
      .orderBy(duration, 'ASC')
      .offset(Math.floor((count - 1) / 2))
      .limit(count % 2 === 1 ? 1 : 2)
      .getRawMany<{ duration: string | number }>();
    const sum = middle.reduce((total, row) => total + Number(row.duration), 0);
    return sum / middle.length / MS_PER_HOUR;
  }
}
