import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { parseId } from '../ids';
import { SavedView } from './saved-view.entity';
import { MoveViewArgs, SaveViewInput } from './saved-view.inputs';

@Resolver(() => SavedView)
export class SavedViewResolver {
  @Authorized()
  @Query(() => [SavedView], { description: "The caller's own saved views, in their order." })
  savedViews(@Ctx() ctx: Context): Promise<SavedView[]> {
    return ctx.services.savedViews.list(ctx.user!);
  }

  @Authorized()
  @Mutation(() => SavedView, { description: 'At most 30 views per user; names are unique per user.' })
  saveView(@Arg('input', () => SaveViewInput) input: SaveViewInput, @Ctx() ctx: Context): Promise<SavedView> {
    return ctx.services.savedViews.save(ctx.user!, input);
  }

  @Authorized()
  @Mutation(() => [SavedView], { description: 'Moves one of the caller’s views; returns them all in order.' })
  moveView(
    @Args(() => MoveViewArgs) { id, position }: MoveViewArgs,
    @Ctx() ctx: Context,
  ): Promise<SavedView[]> {
    return ctx.services.savedViews.move(ctx.user!, parseId('id', id), position);
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Deletes one of the caller's views (someone else's: NOT_FOUND)." })
  deleteView(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.savedViews.delete(ctx.user!, parseId('id', id));
  }
}
