import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { TeamScope } from './team-figures';

@ObjectType()
export class CountByKey {
  @Field(() => String, { description: 'An enum value, a project name or a username.' })
  key: string;

  @Field(() => Int)
  count: number;
}

@ObjectType()
export class WeekCount {
  @Field(() => Date, { description: 'Monday 00:00 UTC of the week.' })
  weekStart: Date;

  @Field(() => Int)
  opened: number;

  @Field(() => Int)
  closed: number;
}

@ObjectType()
export class DayCount {
  @Field(() => Date, { description: '00:00 UTC of the day.' })
  day: Date;

  @Field(() => Int)
  opened: number;

  @Field(() => Int)
  closed: number;
}

@ObjectType({
  description:
    'Figures over the tickets the caller may see (a USER: their own), optionally narrowed to one project and a period of creation.',
})
export class Stats {
  @Field(() => Int)
  total: number;

  @Field(() => Int)
  open: number;

  @Field(() => Int)
  closed: number;

  @Field(() => [CountByKey])
  byStatus: CountByKey[];

  @Field(() => [CountByKey])
  byProject: CountByKey[];

  @Field(() => [CountByKey])
  byCategory: CountByKey[];

  @Field(() => [CountByKey])
  byPriority: CountByKey[];

  @Field(() => [CountByKey], { description: 'Tickets per author; empty for a USER.' })
  byAuthor: CountByKey[];

  @Field(() => [CountByKey], {
    description:
      'Open tickets per assignee (key: username, or empty string for unassigned); empty for a USER.',
  })
  byAssignee: CountByKey[];

  @Field(() => [WeekCount], {
    description:
      'Tickets opened and closed per week over the period (default: the last 26 weeks), oldest first, weeks with none included.',
  })
  perWeek: WeekCount[];

  @Field(() => [DayCount], { description: 'The same per day over the period (default: the last 30 days).' })
  perDay: DayCount[];

  @Field(() => Float, {
    nullable: true,
    description: 'Median hours from opening to RESOLVED or CLOSED over closed tickets; null if none.',
  })
  medianHoursToClose: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Median hours from opening to the first public comment by staff, over tickets that have one.',
  })
  medianHoursToFirstResponse: number | null;

  @Field(() => [CountByKey], {
    description:
      "Open tickets by age: keys 'lt1d', '1to7d', '7to30d', 'gt30d'. The backlog now, in the project: the period does not apply.",
  })
  openByAge: CountByKey[];

  /** The project and period these figures are over, for the team table (Stats.team, resolved on demand). */
  scope: TeamScope;
}
