import type { EntityManager } from 'typeorm';
import { canListArchivedProjects, canSeeProject } from '../access/access-policy';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { trimInvisible } from '../text';
import { Role } from '../users/role';
import type { User } from '../users/user.entity';
import { Project } from './project.entity';
import type { CreateProjectInput, UpdateProjectInput } from './project.inputs';

const nameKey = (name: string) => trimInvisible(name).toLowerCase();

/** The name as stored: trimmed, so "  x  " passes the input's length check yet would store one character. */
function trimmedName(raw: string): string {
  const name = trimInvisible(raw);
  if (name.length < 2) throw BadInputError.field('name', 'length', 'name must be 2 to 80 characters long.');
  return name;
}

/** Projects: everyone signed in sees the open ones; only admins create, change or archive them. */
export class ProjectService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  list(actor: User, includeArchived: boolean): Promise<Project[]> {
    if (includeArchived && !canListArchivedProjects(actor))
      throw new ForbiddenError('Only an admin can list archived projects.');
    return this.database.manager.find(Project, {
      where: includeArchived ? {} : { archived: false },
      order: { name: 'ASC' },
    });
  }

  async get(actor: User, id: number): Promise<Project> {
    const project = await this.database.manager.findOneBy(Project, { id });
    if (!project || !canSeeProject(actor, project)) throw new NotFoundError('Project', id);
    return project;
  }

  create(actor: User, input: CreateProjectInput): Promise<Project> {
    this.assertAdmin(actor);
    const name = trimmedName(input.name);
    return this.database.transaction(async (manager) => {
      await this.assertNameFree(manager, name);
      return manager.save(
        manager.create(Project, {
          name,
          nameKey: nameKey(name),
          description: input.description ?? '',
          archived: false,
          createdAt: this.clock.now(),
        }),
      );
    });
  }

  update(actor: User, id: number, input: UpdateProjectInput): Promise<Project> {
    this.assertAdmin(actor);
    const name = input.name == null ? undefined : trimmedName(input.name);
    return this.database.transaction(async (manager) => {
      const project = await manager.findOneBy(Project, { id });
      if (!project) throw new NotFoundError('Project', id);
      if (name !== undefined && nameKey(name) !== project.nameKey) {
        await this.assertNameFree(manager, name);
      }
      if (name !== undefined) {
        project.name = name;
        project.nameKey = nameKey(name);
      }
      if (input.description != null) project.description = input.description;
      if (input.archived != null) project.archived = input.archived;
      return manager.save(project);
    });
  }

  private assertAdmin(actor: User): void {
    if (actor.role !== Role.ADMIN) throw new ForbiddenError('Only an admin can manage projects.');
  }

  private async assertNameFree(manager: EntityManager, name: string): Promise<void> {
    if (await manager.existsBy(Project, { nameKey: nameKey(name) })) {
      throw BadInputError.field('name', 'unique', 'name is already used by another project.');
    }
  }
}
