import type { SelectQueryBuilder } from 'typeorm';
import { canSeeWhoFigures, whereTicketVisible } from '../access/access-policy';
import { type Clock, DAY_MS } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError } from '../errors';
import { Project } from '../projects/project.entity';
import { Ticket } from '../tickets/ticket.entity';
import { TicketCategory, firstDoneStatusRank, priorityOrder, statusOrder } from '../tickets/ticket.enums';
import { User } from '../users/user.entity';
import {
  type BucketUnit,
  MAX_PERIOD_MS,
  type SeriesPeriod,
  days,
  seriesPeriod,
  weeks,
} from './stats-periods';
import { CountByKey, DayCount, Stats, WeekCount } from './stats.types';
import { type TeamScope, teamFigures } from './team-figures';
import type { TeamMemberFigures } from './team-figures.types';

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

interface BreakdownRow {
  projectId: string | number;
  projectName: string;
  status: string | number;
  category: string;
  priority: string | number;
  count: string | number;
  withClosedAt: string | number;
}

interface Breakdown {
  byStatusRank: Map<number, number>;
  byCategory: Map<string, number>;
  byPriorityRank: Map<number, number>;
  byProject: RawCount[];
  /** Done tickets with a closing date: the median runs over them. */
  closedWithDate: number;
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

/** Stats.openByAge's keys, youngest first, each with the age (now − createdAt) it starts at. */
const ageBuckets = [
  { key: 'lt1d', from: 0 },
  { key: '1to7d', from: DAY_MS },
  { key: '7to30d', from: 7 * DAY_MS },
  { key: 'gt30d', from: 30 * DAY_MS },
] as const;

const byCountThenKey = (a: CountByKey, b: CountByKey) => b.count - a.count || a.key.localeCompare(b.key);

/**
 * Dashboard figures, computed with GROUP BY queries on the indexed ticket columns: no ticket is loaded
 * into memory, whatever the size of the database. Nine statements (seven for a USER, who gets no author
 * and assignee figures; a median with nothing to take the middle of skips its second), each reading one covering index (StatsIndexes1765100000000 and
 * TeamFigures1765700000000), not the ticket rows.
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

    const breakdown = await this.breakdown(filter);
    const byStatus = statusOrder.map((key, rank) => ({ key, count: breakdown.byStatusRank.get(rank) ?? 0 }));
    const open = byStatus.slice(0, firstDoneStatusRank).reduce((sum, entry) => sum + entry.count, 0);
    const closed = byStatus.slice(firstDoneStatusRank).reduce((sum, entry) => sum + entry.count, 0);
    const [weekly, daily] = await this.series(filter, now);
    return {
      total: open + closed,
      open,
      closed,
      byStatus,
      byProject: this.sorted(breakdown.byProject),
      byCategory: categoryOrder.map((key) => ({ key, count: breakdown.byCategory.get(key) ?? 0 })),
      byPriority: priorityOrder.map((key, rank) => ({ key, count: breakdown.byPriorityRank.get(rank) ?? 0 })),
      // Who reports and who holds the work are staff figures; a USER would only see themself.
      byAuthor: staff ? await this.byAuthor(filter) : [],
      byAssignee: staff ? await this.byAssignee(filter) : [],
      perWeek: weekly.map(({ start, opened, closed }): WeekCount => ({ weekStart: start, opened, closed })),
      perDay: daily.map(({ start, opened, closed }): DayCount => ({ day: start, opened, closed })),
      medianHoursToClose: await this.medianHoursToClose(filter, breakdown.closedWithDate),
      medianHoursToFirstResponse: await this.medianHoursToFirstResponse(filter),
      openByAge: await this.openByAge(filter, now),
      scope: { projectId: filter.projectId, from: filter.from, to: filter.to },
    };
  }

  /**
   * The team table (Stats.team) over the scope of figures already checked by stats(): one statement,
   * asked only when the field is, and none for a USER, who gets [] (a staff figure, like byAssignee).
   */
  async team(viewer: User, scope: TeamScope): Promise<TeamMemberFigures[]> {
    if (!canSeeWhoFigures(viewer)) return [];
    return teamFigures(this.database.manager, scope);
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
    // A period is closed on both sides (an open side reaches past any timestamp): SQLite, which keeps no
    // statistics, reads an open-ended range as a large part of the table and leaves the covering index for
    // a worse one (byAssignee over the last 90 days at 100,000 tickets: 3 ms → 200 ms).
    if (filter.from || filter.to) {
      query.andWhere('t.createdAt >= :from AND t.createdAt < :to', {
        from: filter.from?.getTime() ?? Number.MIN_SAFE_INTEGER,
        to: filter.to?.getTime() ?? Number.MAX_SAFE_INTEGER,
      });
    }
    return query;
  }

  /**
   * Counts per project, status, category and priority in one pass over the visible tickets opened in the
   * period, plus how many done tickets have a closing date (what the median runs over). The grouping runs
   * on the ticket alone, so that it reads one covering index, and only its few rows meet the project names.
   */
  private async breakdown(filter: Filter): Promise<Breakdown> {
    const counts = this.created(filter)
      .select('t.projectId', 'projectId')
      .addSelect('t.status', 'status')
      .addSelect('t.category', 'category')
      .addSelect('t.priority', 'priority')
      .addSelect('COUNT(*)', 'count')
      .addSelect('COUNT(t.closedAt)', 'withClosedAt')
      .groupBy('t.projectId')
      .addGroupBy('t.status')
      .addGroupBy('t.category')
      .addGroupBy('t.priority');
    const rows = await this.database.manager
      .createQueryBuilder()
      .select('g.*')
      .addSelect('p.name', 'projectName')
      .from(`(${counts.getQuery()})`, 'g')
      .innerJoin(Project, 'p', 'p.id = g."projectId"')
      .setParameters(counts.getParameters())
      .getRawMany<BreakdownRow>();
    const breakdown: Breakdown = {
      byStatusRank: new Map(),
      byCategory: new Map(),
      byPriorityRank: new Map(),
      byProject: [],
      closedWithDate: 0,
    };
    const perProject = new Map<number, RawCount>();
    const add = <K>(map: Map<K, number>, key: K, count: number) => map.set(key, (map.get(key) ?? 0) + count);
    for (const row of rows) {
      const count = Number(row.count);
      const status = Number(row.status);
      add(breakdown.byStatusRank, status, count);
      add(breakdown.byCategory, String(row.category), count);
      add(breakdown.byPriorityRank, Number(row.priority), count);
      const project = perProject.get(Number(row.projectId));
      if (project) project.count = Number(project.count) + count;
      else perProject.set(Number(row.projectId), { key: row.projectName, count });
      if (status >= firstDoneStatusRank) breakdown.closedWithDate += Number(row.withClosedAt);
    }
    breakdown.byProject = [...perProject.values()];
    return breakdown;
  }

  private async byAuthor(filter: Filter): Promise<CountByKey[]> {
    const counts = this.created(filter)
      .select('t.authorId', 'userId')
      .addSelect('COUNT(*)', 'count')
      .groupBy('t.authorId');
    return this.perUser(counts, 'inner');
  }

  private async byAssignee(filter: Filter): Promise<CountByKey[]> {
    const counts = this.created(filter)
      .andWhere('t.status < :done', { done: firstDoneStatusRank })
      .select('t.assigneeId', 'userId')
      .addSelect('COUNT(*)', 'count')
      .groupBy('t.assigneeId');
    return this.perUser(counts, 'left');
  }

  /** Counts grouped by a user id on the ticket alone (one index), then named: the unassigned keep ''. */
  private async perUser(counts: SelectQueryBuilder<Ticket>, join: 'inner' | 'left'): Promise<CountByKey[]> {
    const query = this.database.manager
      .createQueryBuilder()
      .select('u.username', 'key')
      .addSelect('g."count"', 'count')
      .from(`(${counts.getQuery()})`, 'g')
      .setParameters(counts.getParameters());
    if (join === 'inner') query.innerJoin(User, 'u', 'u.id = g."userId"');
    else query.leftJoin(User, 'u', 'u.id = g."userId"');
    return this.sorted(await query.getRawMany<RawCount>());
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
   * Weeks and days come from the same statement for each date.
   */
  private async series(filter: Filter, now: Date): Promise<[BucketCount[], BucketCount[]]> {
    const weekly = seriesPeriod(weeks, filter.from, filter.to, now);
    const daily = seriesPeriod(days, filter.from, filter.to, now);
    const opened = await this.bucketCounts(this.visible(filter), 't.createdAt', weekly, daily);
    const done = this.visible(filter).andWhere('t.status >= :done', { done: firstDoneStatusRank });
    const closed = await this.bucketCounts(done, 't.closedAt', weekly, daily);
    const buckets = (unit: BucketUnit, period: SeriesPeriod, index: 0 | 1): BucketCount[] =>
      Array.from({ length: period.count }, (_, bucket) => ({
        start: new Date(period.firstStart + bucket * unit.width),
        opened: opened[index].get(bucket) ?? 0,
        closed: closed[index].get(bucket) ?? 0,
      }));
    return [buckets(weeks, weekly, 0), buckets(days, daily, 1)];
  }

  /**
   * Counts per week and per day in one statement: each row is a (week, day) pair of bucket indexes, a
   * NULL where the date is outside that series' period. Indexes count from each series' first bucket so
   * that the division runs on non-negative values.
   */
  private async bucketCounts(
    query: SelectQueryBuilder<Ticket>,
    column: string,
    weekly: SeriesPeriod,
    daily: SeriesPeriod,
  ): Promise<[Map<number, number>, Map<number, number>]> {
    // CAST truncates (a floor, as the value is non-negative) and keeps the index whole however a driver binds numbers.
    const bucket = (unit: BucketUnit, name: string) =>
      `CASE WHEN ${column} >= :${name}From AND ${column} < :${name}To ` +
      `THEN CAST((${column} - :${name}FirstStart) / ${unit.width} AS INTEGER) END`;
    const rows = await query
      .andWhere(`${column} >= :periodFrom AND ${column} < :periodTo`, {
        periodFrom: Math.min(weekly.from, daily.from),
        periodTo: Math.max(weekly.to, daily.to),
      })
      .select(bucket(weeks, 'week'), 'week')
      .addSelect(bucket(days, 'day'), 'day')
      .addSelect('COUNT(*)', 'count')
      .setParameters({
        weekFrom: weekly.from,
        weekTo: weekly.to,
        weekFirstStart: weekly.firstStart,
        dayFrom: daily.from,
        dayTo: daily.to,
        dayFirstStart: daily.firstStart,
      })
      .groupBy(bucket(weeks, 'week'))
      .addGroupBy(bucket(days, 'day'))
      .getRawMany<{ week: string | number | null; day: string | number | null; count: string | number }>();
    const perWeek = new Map<number, number>();
    const perDay = new Map<number, number>();
    for (const row of rows) {
      const count = Number(row.count);
      if (row.week != null) perWeek.set(Number(row.week), (perWeek.get(Number(row.week)) ?? 0) + count);
      if (row.day != null) perDay.set(Number(row.day), (perDay.get(Number(row.day)) ?? 0) + count);
    }
    return [perWeek, perDay];
  }

  /**
   * Fetches only the middle one or two durations (ORDER BY with OFFSET): portable, and no rows in memory.
   * `count` is how many there are (from the breakdown). The done rank is written as a literal so that the
   * partial index on the duration (IDX_ticket_stats_duration) applies: it holds them in order.
   */
  private async medianHoursToClose(filter: Filter, count: number): Promise<number | null> {
    const duration = 't.closedAt - t.createdAt';
    const durations = this.created(filter)
      .andWhere(`t.status >= ${firstDoneStatusRank}`)
      .andWhere('t.closedAt IS NOT NULL')
      .select(duration, 'duration');
    return this.medianHours(durations, duration, count);
  }

  /**
   * The same median over the time to each visible ticket's first answer, a public comment by someone who
   * was staff when writing it (Ticket.firstResponseAt, kept by the database as jobs are written): a first
   * statement counts the answered tickets, a second fetches the middle, both from the partial index
   * IDX_ticket_stats_first_response, which holds them in order of that time (the condition is a literal).
   */
  private async medianHoursToFirstResponse(filter: Filter): Promise<number | null> {
    const answered = () => this.created(filter).andWhere('t.firstResponseAt IS NOT NULL');
    const counted = await answered().select('COUNT(*)', 'count').getRawOne<{ count: string | number }>();
    const duration = 't.firstResponseAt - t.createdAt';
    return this.medianHours(answered().select(duration, 'duration'), duration, Number(counted?.count ?? 0));
  }

  /** The median of `duration` over the `count` rows of `durations`, in hours: the middle one or two rows only. */
  private async medianHours(
    durations: SelectQueryBuilder<Ticket>,
    duration: string,
    count: number,
  ): Promise<number | null> {
    if (count === 0) return null;
    const middle = await durations
      .orderBy(duration, 'ASC')
      .offset(Math.floor((count - 1) / 2))
      .limit(count % 2 === 1 ? 1 : 2)
      .getRawMany<{ duration: string | number }>();
    const sum = middle.reduce((total, row) => total + Number(row.duration), 0);
    return sum / middle.length / MS_PER_HOUR;
  }

  /**
   * The backlog now, per age bucket: the visible open tickets of the project, whatever the period (a
   * period's backlog would hide exactly the old tickets a lead looks for: "over 30 days" could never
   * count one over the last 30 days). A bucket holds the ages from its bound (included) to the next
   * one's (excluded), so a ticket exactly one day old is '1to7d' and exactly thirty days old 'gt30d'.
   * One GROUP BY on the partial index of the open tickets (IDX_ticket_open_age; the open rank is a
   * literal for it). Every bucket is listed, 0 included.
   */
  private async openByAge(filter: Filter, now: Date): Promise<CountByKey[]> {
    const bound = (index: number) => now.getTime() - ageBuckets[index].from;
    // An age at or past a bound is a creation at or before now − bound; the youngest bucket also takes a
    // creation after now (another instance's clock a little ahead).
    const older = ageBuckets
      .map((_, index) => index)
      .slice(1)
      .reverse();
    const bucket = `CASE ${older.map((index) => `WHEN t.createdAt <= :ageBound${index} THEN ${index}`).join(' ')} ELSE 0 END`;
    const rows = await this.visible(filter)
      .andWhere(`t.status < ${firstDoneStatusRank}`)
      .select(bucket, 'bucket')
      .addSelect('COUNT(*)', 'count')
      .setParameters(Object.fromEntries(ageBuckets.map((_, index) => [`ageBound${index}`, bound(index)])))
      .groupBy(bucket)
      .getRawMany<{ bucket: string | number; count: string | number }>();
    const counts = new Map(rows.map((row) => [Number(row.bucket), Number(row.count)]));
    return ageBuckets.map(({ key }, index) => ({ key, count: counts.get(index) ?? 0 }));
  }
}
