import { Length, MaxLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { PageArgs } from '../page.args';
import { NotBlank, VisibleLength, WellFormed } from '../text';
import { Priority, TicketCategory, TicketStatus } from './ticket.enums';

export const COMMENT_MAX_LENGTH = 20_000;
/** The @Length of description below (renderMarkdown previews up to it). */
export const DESCRIPTION_MAX_LENGTH = 20_000;

@InputType()
export class CreateTicketInput {
  @Field(() => ID)
  projectId: string;

  @Field(() => String)
  @VisibleLength(3, 200, 'title must be 3 to 200 characters long.')
  @NotBlank('title')
  title: string;

  @Field(() => String)
  @Length(1, 20_000, { message: 'description must be 1 to 20000 characters long.' })
  @NotBlank('description')
  description: string;

  @Field(() => Priority, {
    nullable: true,
    description: 'Default NORMAL. Only AGENT and ADMIN may set it; from a USER it is ignored.',
  })
  priority?: Priority;

  @Field(() => TicketCategory, { nullable: true, description: 'Default OTHER.' })
  category?: TicketCategory;

  @Field(() => [ID], { nullable: true })
  attachmentIds?: string[];
}

@InputType({
  description:
    'One edit of a ticket. Every call that changes something, or carries a comment, appends exactly one Job.\nThe author (a USER) may change title, description and category, comment, close (CLOSED) and reopen (OPEN) their ticket.\nAGENT and ADMIN may change every field, on every ticket. assigneeId must name an AGENT or ADMIN; use unassign to clear.',
})
export class UpdateTicketInput {
  @Field(() => String, { nullable: true })
  @VisibleLength(3, 200, 'title must be 3 to 200 characters long.')
  @NotBlank('title')
  title?: string;

  @Field(() => String, { nullable: true })
  @Length(1, 20_000, { message: 'description must be 1 to 20000 characters long.' })
  @NotBlank('description')
  description?: string;

  @Field(() => TicketStatus, { nullable: true })
  status?: TicketStatus;

  @Field(() => Priority, { nullable: true })
  priority?: Priority;

  @Field(() => TicketCategory, { nullable: true })
  category?: TicketCategory;

  @Field(() => ID, { nullable: true })
  projectId?: string;

  @Field(() => ID, { nullable: true })
  assigneeId?: string;

  @Field(() => Boolean, { nullable: true })
  unassign?: boolean;

  @Field(() => [ID], {
    nullable: true,
    description: 'Attachments uploaded beforehand, to link to this job (their uploader must be the caller).',
  })
  attachmentIds?: string[];

  @Field(() => ID, {
    nullable: true,
    description:
      'Staff only: closes the ticket as a duplicate of another visible ticket (status CLOSED, recorded in the job).',
  })
  duplicateOfId?: string;

  @Field(() => String, { nullable: true })
  @MaxLength(COMMENT_MAX_LENGTH, {
    message: `comment must be at most ${COMMENT_MAX_LENGTH} characters long.`,
  })
  @WellFormed()
  comment?: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'AGENT and ADMIN only: this job is an internal note. It must carry a comment and no field change.',
  })
  internal?: boolean;
}

/** The most tickets one updateTickets call changes: a page of the list, and a transaction that stays short. */
export const MAX_BULK_TICKETS = 100;

@InputType({
  description:
    'The same change for several tickets (AGENT and ADMIN only). Omitted fields are left as they are; assigneeId must name an active AGENT or ADMIN; use unassign to clear.',
})
export class BulkTicketUpdateInput {
  @Field(() => TicketStatus, { nullable: true })
  status?: TicketStatus;

  @Field(() => Priority, { nullable: true })
  priority?: Priority;

  @Field(() => ID, { nullable: true })
  assigneeId?: string;

  @Field(() => Boolean, { nullable: true })
  unassign?: boolean;
}

@InputType({
  description:
    'Every field narrows the result; omitted fields do not. A USER only ever sees their own tickets.',
})
export class TicketFilter {
  @Field(() => ID, { nullable: true })
  projectId?: string;

  @Field(() => [TicketStatus], { nullable: true })
  status?: TicketStatus[];

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: OPEN, IN_PROGRESS or WAITING; false: RESOLVED or CLOSED.',
  })
  open?: boolean;

  @Field(() => [Priority], { nullable: true })
  priority?: Priority[];

  @Field(() => [TicketCategory], { nullable: true })
  category?: TicketCategory[];

  @Field(() => ID, { nullable: true })
  authorId?: string;

  @Field(() => ID, { nullable: true })
  assigneeId?: string;

  @Field(() => Boolean, { nullable: true })
  unassigned?: boolean;

  @Field(() => String, {
    nullable: true,
    description: "Words to find in the title, the description and the comments of the ticket's jobs.",
  })
  @MaxLength(200, { message: 'search must be at most 200 characters long.' })
  search?: string;

  @Field(() => Date, { nullable: true })
  createdAfter?: Date;

  @Field(() => Date, { nullable: true })
  createdBefore?: Date;
}

export enum TicketOrderField {
  ID = 'ID',
  CREATED_AT = 'CREATED_AT',
  UPDATED_AT = 'UPDATED_AT',
  PRIORITY = 'PRIORITY',
  STATUS = 'STATUS',
}
registerEnumType(TicketOrderField, { name: 'TicketOrderField' });

export enum OrderDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@InputType()
export class TicketOrder {
  @Field(() => TicketOrderField)
  field: TicketOrderField;

  @Field(() => OrderDirection)
  direction: OrderDirection;
}

@ArgsType()
export class TicketsArgs extends PageArgs {
  @Field(() => TicketFilter, { nullable: true })
  @ValidateNested()
  filter?: TicketFilter;

  @Field(() => TicketOrder, { nullable: true })
  orderBy?: TicketOrder;
}
