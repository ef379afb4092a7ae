import { Field, Int, ObjectType } from 'type-graphql';
import { Ticket } from './ticket.entity';

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ObjectType()
export class TicketEdge {
  @Field(() => String)
  cursor: string;

  @Field(() => Ticket)
  node: Ticket;
}

@ObjectType()
export class TicketConnection {
  @Field(() => [TicketEdge])
  edges: TicketEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Counting costs a query of its own: it runs only when a client asks for totalCount. */
  private countTotal: () => Promise<number>;

  constructor(edges: TicketEdge[], pageInfo: PageInfo, countTotal: () => Promise<number>) {
    this.edges = edges;
    this.pageInfo = pageInfo;
    this.countTotal = countTotal;
  }

  @Field(() => [Ticket])
  nodes(): Ticket[] {
    return this.edges.map((edge) => edge.node);
  }

  @Field(() => Int, {
    description: 'All tickets matching the filter that the caller may see, not just this page.',
  })
  totalCount(): Promise<number> {
    return this.countTotal();
  }
}
