import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ValidateNested } from 'class-validator';
import { visibleProjectDescription } from '../access/access-policy';
import type { Context } from '../context';
import { parseId } from '../ids';
import { Role } from '../users/role';
import { Project } from './project.entity';
import { CreateProjectInput, UpdateProjectInput } from './project.inputs';

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
class UpdateProjectArgs {
  @Field(() => ID)
  id: string;

  @Field(() => UpdateProjectInput)
  @ValidateNested()
  input: UpdateProjectInput;
}

@Resolver(() => Project)
export class ProjectResolver {
  @Authorized()
  @Query(() => [Project], { description: 'Projects open for tickets; archived ones too when asked (ADMIN).' })
  projects(
    @Arg('includeArchived', () => Boolean, { nullable: true, defaultValue: false }) includeArchived: boolean,
    @Ctx() ctx: Context,
  ): Promise<Project[]> {
    return ctx.services.projects.list(ctx.user!, includeArchived);
  }

  @Authorized()
  @Query(() => Project, { nullable: true })
  project(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Project> {
    return ctx.services.projects.get(ctx.user!, parseId('id', id));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Project, { description: 'ADMIN only.' })
  createProject(
    @Arg('input', () => CreateProjectInput) input: CreateProjectInput,
    @Ctx() ctx: Context,
  ): Promise<Project> {
    return ctx.services.projects.create(ctx.user!, input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Project, { description: 'ADMIN only.' })
  updateProject(
    @Args(() => UpdateProjectArgs) { id, input }: UpdateProjectArgs,
    @Ctx() ctx: Context,
  ): Promise<Project> {
    return ctx.services.projects.update(ctx.user!, parseId('id', id), input);
  }

  @FieldResolver(() => String)
  description(@Root() project: Project, @Ctx() ctx: Context): string {
    return visibleProjectDescription(ctx.user, project);
  }

  @FieldResolver(() => Int, { description: 'Open tickets in this project that the caller may see.' })
  openTicketCount(@Root() project: Project, @Ctx() ctx: Context): Promise<number> {
    return ctx.loaders.openTicketCountByProjectId.load(project.id);
  }
}
