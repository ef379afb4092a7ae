import type { EntityManager } from 'typeorm';
import { canUseSavedView } from '../access/access-policy';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, NotFoundError } from '../errors';
import { parseOptionalId } from '../ids';
import { trimInvisible } from '../text';
import type { User } from '../users/user.entity';
import { SavedView } from './saved-view.entity';
import type { SaveViewInput } from './saved-view.inputs';

/** Enough for every queue a person works; a script cannot fill the table. */
export const MAX_VIEWS_PER_USER = 30;

/** One person's named filters of the ticket list. The text is the client's query language, kept as typed. */
export class SavedViewService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  list(owner: User, manager: EntityManager = this.database.manager): Promise<SavedView[]> {
    return manager.find(SavedView, { where: { userId: owner.id }, order: { position: 'ASC', id: 'ASC' } });
  }

  async save(owner: User, input: SaveViewInput): Promise<SavedView> {
    const id = parseOptionalId('id', input.id);
    const name = trimInvisible(input.name);
    const nameKey = name.toLowerCase();
    const query = input.query.trim();
    return this.database.transaction(async (manager) => {
      const views = await this.list(owner, manager);
      const named = views.find((view) => view.nameKey === nameKey);
      if (id !== undefined) {
        const view = await this.own(manager, owner, id);
        if (named && named.id !== view.id) {
          throw BadInputError.field('name', 'unique', `You already have a view named "${named.name}".`);
        }
        return manager.save(Object.assign(view, { name, nameKey, query }));
      }
      // Saving under a name one has already: the view gets the new filter (and the name's new spelling).
      if (named) return manager.save(Object.assign(named, { name, nameKey, query }));
      if (views.length >= MAX_VIEWS_PER_USER) {
        // Not the name's fault: the person's list is full (field "input", as for a whole input refused).
        throw BadInputError.field(
          'input',
          'limitReached',
          `You have ${MAX_VIEWS_PER_USER} saved views, the most one person may keep: delete one first.`,
        );
      }
      return manager.save(
        manager.create(SavedView, {
          userId: owner.id,
          name,
          nameKey,
          query,
          position: views.length === 0 ? 0 : views[views.length - 1].position + 1,
          createdAt: this.clock.now(),
        }),
      );
    });
  }

  async move(owner: User, id: number, position: number): Promise<SavedView[]> {
    if (!Number.isInteger(position) || position < 0) {
      throw BadInputError.field('position', 'range', 'position must be 0 or more.');
    }
    return this.database.transaction(async (manager) => {
      const views = await this.list(owner, manager);
      const index = views.findIndex((view) => view.id === id);
      if (index < 0) throw new NotFoundError('Saved view', id);
      const [moved] = views.splice(index, 1);
      views.splice(Math.min(position, views.length), 0, moved);
      const changed = views.filter((view, place) => view.position !== place);
      views.forEach((view, place) => (view.position = place));
      for (const view of changed)
        await manager.update(SavedView, { id: view.id }, { position: view.position });
      return views;
    });
  }

  async delete(owner: User, id: number): Promise<boolean> {
    return this.database.transaction(async (manager) => {
      await this.own(manager, owner, id);
      await manager.delete(SavedView, { id });
      return true;
    });
  }

  /** Someone else's view answers like one that does not exist. */
  private async own(manager: EntityManager, owner: User, id: number): Promise<SavedView> {
    const view = await manager.findOneBy(SavedView, { id });
    if (!view || !canUseSavedView(owner, view)) throw new NotFoundError('Saved view', id);
    return view;
  }
}
