import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    "One row of the team table: a staff member's open work now and what they resolved in the period.",
})
export class TeamMemberFigures {
  @Field(() => ID)
  userId: string;

  @Field(() => String)
  username: string;

  @Field(() => Int, {
    description: 'Tickets open now (OPEN, IN_PROGRESS, WAITING) and assigned to them, whatever the period.',
  })
  openAssigned: number;

  @Field(() => Int, {
    description:
      'Tickets now RESOLVED or CLOSED, assigned to them, whose closing (closedAt: the last one, for a reopened ticket) falls in the period.',
  })
  resolved: number;

  @Field(() => Float, {
    nullable: true,
    description: 'Median hours from opening to closing over those resolved tickets; null if none.',
  })
  medianHoursToClose: number | null;

  @Field(() => ID, {
    nullable: true,
    description: 'The number of their oldest open assigned ticket (by opening, then number); null if none.',
  })
  oldestOpenTicketId: string | null;

  @Field(() => Date, { nullable: true, description: 'When that ticket was opened.' })
  oldestOpenCreatedAt: Date | null;
}
