import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../tickets/ticket-connection';
import { OutboxMessage } from './outbox-message.entity';

@ObjectType()
export class OutboxMessageEdge {
  @Field(() => String)
  cursor: string;

  @Field(() => OutboxMessage)
  node: OutboxMessage;
}

@ObjectType()
export class OutboxMessageConnection {
  @Field(() => [OutboxMessageEdge])
  edges: OutboxMessageEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Counting costs a query of its own: it runs only when a client asks for totalCount. */
  private countTotal: () => Promise<number>;

  constructor(edges: OutboxMessageEdge[], pageInfo: PageInfo, countTotal: () => Promise<number>) {
    this.edges = edges;
    this.pageInfo = pageInfo;
    this.countTotal = countTotal;
  }

  @Field(() => [OutboxMessage])
  nodes(): OutboxMessage[] {
    return this.edges.map((edge) => edge.node);
  }

  @Field(() => Int, { description: 'All messages in this state (or all of them), not just this page.' })
  totalCount(): Promise<number> {
    return this.countTotal();
  }
}
