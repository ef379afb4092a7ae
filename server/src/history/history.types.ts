import { Field, Int, ObjectType } from 'type-graphql';
import { Job } from '../tickets/job.entity';
import { PageInfo } from '../tickets/ticket-connection';

@ObjectType()
export class JobEdge {
  @Field(() => String)
  cursor: string;

  @Field(() => Job)
  node: Job;
}

@ObjectType()
export class JobConnection {
  @Field(() => [JobEdge])
  edges: JobEdge[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Counting costs a query of its own: it runs only when a client asks for totalCount, not on every poll. */
  private countTotal: () => Promise<number>;

  constructor(edges: JobEdge[], pageInfo: PageInfo, countTotal: () => Promise<number>) {
    this.edges = edges;
    this.pageInfo = pageInfo;
    this.countTotal = countTotal;
  }

  @Field(() => [Job])
  nodes(): Job[] {
    return this.edges.map((edge) => edge.node);
  }

  @Field(() => Int, {
    description: 'All jobs matching the filter that the caller may see, not just those after the cursor.',
  })
  totalCount(): Promise<number> {
    return this.countTotal();
  }
}
