import { isEmail } from 'class-validator';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportDocument } from '../exports/export-format';
import { holdsNul, isWellFormed, nulMessage, storedLength, visibleLength } from '../text';
import { COMMENT_MAX_LENGTH } from '../tickets/ticket.inputs';
import { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import { Locale, Role } from '../users/role';
import { normalizeKey } from '../users/user-key';
import { USERNAME_PATTERN } from '../users/user.inputs';
import { ImportRefusedError, ProblemList } from './import-refusal';

/** No ticketing history predates 2000: an earlier date is a unit mistake (seconds for milliseconds). */
export const EARLIEST_DATE = Date.UTC(2000, 0, 1);
/** Dates up to a day ahead are clock drift between instances; later ones are mistakes. */
const DATE_SLACK_MS = 24 * 3_600_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_ID_LENGTH = 64;
const DESCRIPTION_MAX_LENGTH = 20_000;
const PROJECT_DESCRIPTION_MAX_LENGTH = 2000;
const CHANGE_FIELD_MAX_LENGTH = 40;

type JsonObject = Record<string, unknown>;

interface TextRule {
  min?: number;
  max: number;
  /** Count what shows (titles, names), like the API's VisibleLength. */
  visible?: boolean;
  nullable?: boolean;
}

const describe = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : String(value);
};

/** Reads one JSON value's fields, each problem noted with its path in the file. */
class FieldReader {
  constructor(
    private readonly problems: ProblemList,
    private readonly latest: number,
  ) {}

  object(value: unknown, path: string): JsonObject | null {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
    this.problems.add(path, 'format', `${path} must be an object (got ${describe(value)}).`);
    return null;
  }

  list(owner: JsonObject, key: string, path: string): unknown[] {
    const value = owner[key];
    if (Array.isArray(value)) return value;
    if (value === undefined) this.problems.add(path, 'required', `${path} is missing (a list).`);
    else this.problems.add(path, 'format', `${path} must be a list (got ${describe(value)}).`);
    return [];
  }

  private present(owner: JsonObject, key: string, path: string, nullable = false): boolean {
    if (owner[key] === undefined) {
      this.problems.add(path, 'required', `${path} is missing.`);
      return false;
    }
    return !(nullable && owner[key] === null);
  }

  text(owner: JsonObject, key: string, path: string, rule: TextRule): string | null {
    if (!this.present(owner, key, path, rule.nullable)) return null;
    const value = owner[key];
    if (typeof value !== 'string') {
      const kind = rule.nullable ? 'text or null' : 'text';
      this.problems.add(path, 'format', `${path} must be ${kind} (got ${describe(value)}).`);
      return null;
    }
    if (!isWellFormed(value)) {
      this.problems.add(path, 'format', `${path} holds a broken character (a lone UTF-16 surrogate).`);
      return null;
    }
    if (holdsNul(value)) {
      this.problems.add(path, 'format', nulMessage(path));
      return null;
    }
    const length = rule.visible ? visibleLength(value) : value.length;
    const min = rule.min ?? 0;
    if (length < min || length > rule.max) {
      const range = min > 0 ? `${min} to ${rule.max}` : `at most ${rule.max}`;
      this.problems.add(path, 'length', `${path} must be ${range} characters long (it has ${length}).`);
      return null;
    }
    // What shows may be short while invisible characters make the stored text too long for its column.
    if (rule.visible && storedLength(value) > rule.max) {
      this.problems.add(
        path,
        'length',
        `${path} must be at most ${rule.max} characters long, invisible ones included (it has ${storedLength(value)}).`,
      );
      return null;
    }
    return value;
  }

  id(owner: JsonObject, key: string, path: string, nullable = false): string | null {
    if (!this.present(owner, key, path, nullable)) return null;
    const value = owner[key];
    if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH) {
      this.problems.add(path, 'format', `${path} must be an id as text, like "42" (got ${describe(value)}).`);
      return null;
    }
    return value;
  }

  boolean(owner: JsonObject, key: string, path: string): void {
    if (!this.present(owner, key, path)) return;
    if (typeof owner[key] !== 'boolean') {
      this.problems.add(path, 'format', `${path} must be true or false (got ${describe(owner[key])}).`);
    }
  }

  oneOf(owner: JsonObject, key: string, path: string, allowed: readonly string[]): void {
    if (!this.present(owner, key, path)) return;
    const value = owner[key];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      this.problems.add(
        path,
        'format',
        `${path} must be one of ${allowed.join(', ')} (got ${describe(value)}).`,
      );
    }
  }

  /** An ISO 8601 date with its time zone, from 2000 to a day from now; its time in ms, or null. */
  date(owner: JsonObject, key: string, path: string, nullable = false): number | null {
    if (!this.present(owner, key, path, nullable)) return null;
    const value = owner[key];
    const time = typeof value === 'string' && ISO_DATE.test(value) ? Date.parse(value) : NaN;
    if (Number.isNaN(time)) {
      this.problems.add(
        path,
        'format',
        `${path} must be an ISO 8601 date with its time zone, like "2026-03-01T09:30:00.000Z" (got ${describe(value)}).`,
      );
      return null;
    }
    if (time < EARLIEST_DATE || time > this.latest) {
      this.problems.add(
        path,
        'range',
        `${path} must be a date from 2000-01-01 to tomorrow (got ${describe(value)}).`,
      );
      return null;
    }
    return time;
  }
}

/** Notes each id once; a second use of the same id is a problem naming the first. */
class IdRegister {
  private readonly first = new Map<string, string>();

  constructor(private readonly problems: ProblemList) {}

  claim(id: string | null, path: string): void {
    if (id === null) return;
    const earlier = this.first.get(id);
    if (earlier !== undefined) {
      this.problems.add(path, 'unique', `${path} "${id}" is already the id of ${earlier}.`);
    } else this.first.set(id, path.replace(/\.id$/, ''));
  }

  has(id: string): boolean {
    return this.first.has(id);
  }
}

/**
 * Checks a whole export document (format v1) before anything is written: types, enums, lengths, dates,
 * unique ids and every reference resolvable inside the file. Throws ImportRefusedError naming the first
 * problems; returns the document, typed, when there are none. Unknown extra fields are ignored.
 */
export function checkExportDocument(raw: unknown, now: Date): ExportDocument {
  const problems = new ProblemList();
  const read = new FieldReader(problems, now.getTime() + DATE_SLACK_MS);
  const root = read.object(raw, 'document');
  problems.throwIfAny();
  const document = root as JsonObject;
  if (document.format !== EXPORT_FORMAT) {
    throw ImportRefusedError.one(
      'format',
      'format',
      `format must be "${EXPORT_FORMAT}" (got ${describe(document.format)}): this is not a Simple Ticketing export.`,
    );
  }
  if (document.version !== EXPORT_VERSION) {
    throw ImportRefusedError.one(
      'version',
      'format',
      `version ${describe(document.version)} is not supported: this instance reads export version ${EXPORT_VERSION}.`,
    );
  }
  read.date(document, 'exportedAt', 'exportedAt');

  const userIds = new IdRegister(problems);
  const emails = new Map<string, string>();
  read.list(document, 'users', 'users').forEach((value, index) => {
    const path = `users[${index}]`;
    const user = read.object(value, path);
    if (!user) return;
    userIds.claim(read.id(user, 'id', `${path}.id`), `${path}.id`);
    const username = read.text(user, 'username', `${path}.username`, { min: 3, max: 32 });
    if (username !== null && !USERNAME_PATTERN.test(username)) {
      problems.add(
        `${path}.username`,
        'format',
        `${path}.username may only contain letters, digits, ".", "_" and "-" (got ${describe(username)}).`,
      );
    }
    const email = read.text(user, 'email', `${path}.email`, { min: 3, max: 254 });
    if (email !== null) {
      const key = normalizeKey(email);
      if (!isEmail(email.trim())) {
        problems.add(
          `${path}.email`,
          'email',
          `${path}.email must be an email address (got ${describe(email)}).`,
        );
      } else if (emails.has(key)) {
        problems.add(`${path}.email`, 'unique', `${path}.email is already the email of ${emails.get(key)}.`);
      } else emails.set(key, path);
    }
    read.oneOf(user, 'role', `${path}.role`, Object.values(Role));
    read.oneOf(user, 'locale', `${path}.locale`, Object.values(Locale));
    read.date(user, 'createdAt', `${path}.createdAt`);
  });

  const projectIds = new IdRegister(problems);
  const projectNames = new Map<string, string>();
  read.list(document, 'projects', 'projects').forEach((value, index) => {
    const path = `projects[${index}]`;
    const project = read.object(value, path);
    if (!project) return;
    projectIds.claim(read.id(project, 'id', `${path}.id`), `${path}.id`);
    const name = read.text(project, 'name', `${path}.name`, { min: 2, max: 80, visible: true });
    if (name !== null) {
      const key = normalizeKey(name);
      if (projectNames.has(key)) {
        problems.add(
          `${path}.name`,
          'unique',
          `${path}.name is already the name of ${projectNames.get(key)}.`,
        );
      } else projectNames.set(key, path);
    }
    read.text(project, 'description', `${path}.description`, { max: PROJECT_DESCRIPTION_MAX_LENGTH });
    read.boolean(project, 'archived', `${path}.archived`);
    read.date(project, 'createdAt', `${path}.createdAt`);
  });

  const scope = document.scope === undefined ? null : read.object(document.scope, 'scope');
  if (scope) {
    const scopeId = read.id(scope, 'projectId', 'scope.projectId', true);
    if (scopeId !== null && !projectIds.has(scopeId)) {
      problems.add(
        'scope.projectId',
        'invalid',
        `scope.projectId "${scopeId}" is not the id of a project in the file.`,
      );
    }
  }

  const reference = (
    owner: JsonObject,
    key: string,
    path: string,
    ids: IdRegister,
    what: string,
    nullable = false,
  ) => {
    const id = read.id(owner, key, path, nullable);
    if (id !== null && !ids.has(id)) {
      problems.add(path, 'invalid', `${path} "${id}" is not the id of a ${what} in the file.`);
    }
  };

  const ticketIds = new IdRegister(problems);
  const jobIds = new IdRegister(problems);
  read.list(document, 'tickets', 'tickets').forEach((value, index) => {
    const path = `tickets[${index}]`;
    const ticket = read.object(value, path);
    if (!ticket) return;
    ticketIds.claim(read.id(ticket, 'id', `${path}.id`), `${path}.id`);
    reference(ticket, 'projectId', `${path}.projectId`, projectIds, 'project');
    read.text(ticket, 'title', `${path}.title`, { min: 3, max: 200, visible: true });
    read.text(ticket, 'description', `${path}.description`, { max: DESCRIPTION_MAX_LENGTH });
    read.oneOf(ticket, 'status', `${path}.status`, Object.values(TicketStatus));
    read.oneOf(ticket, 'priority', `${path}.priority`, Object.values(Priority));
    read.oneOf(ticket, 'category', `${path}.category`, Object.values(TicketCategory));
    reference(ticket, 'authorId', `${path}.authorId`, userIds, 'user');
    reference(ticket, 'assigneeId', `${path}.assigneeId`, userIds, 'user', true);
    const createdAt = read.date(ticket, 'createdAt', `${path}.createdAt`);
    const notBefore = (time: number | null, field: string, what: string) => {
      if (time !== null && createdAt !== null && time < createdAt) {
        problems.add(
          `${path}.${field}`,
          'range',
          `${path}.${field} is before the ticket's createdAt: ${what}.`,
        );
      }
    };
    notBefore(
      read.date(ticket, 'updatedAt', `${path}.updatedAt`),
      'updatedAt',
      'a ticket changes after it is created',
    );
    notBefore(
      read.date(ticket, 'closedAt', `${path}.closedAt`, true),
      'closedAt',
      'a ticket closes after it is created',
    );

    read.list(ticket, 'jobs', `${path}.jobs`).forEach((jobValue, jobIndex) => {
      const jobPath = `${path}.jobs[${jobIndex}]`;
      const job = read.object(jobValue, jobPath);
      if (!job) return;
      jobIds.claim(read.id(job, 'id', `${jobPath}.id`), `${jobPath}.id`);
      reference(job, 'authorId', `${jobPath}.authorId`, userIds, 'user');
      const jobCreatedAt = read.date(job, 'createdAt', `${jobPath}.createdAt`);
      if (jobCreatedAt !== null && createdAt !== null && jobCreatedAt < createdAt) {
        problems.add(
          `${jobPath}.createdAt`,
          'range',
          `${jobPath}.createdAt is before its ticket's createdAt: a ticket's history starts when it is created.`,
        );
      }
      read.text(job, 'comment', `${jobPath}.comment`, { max: COMMENT_MAX_LENGTH, nullable: true });
      read.boolean(job, 'internal', `${jobPath}.internal`);
      read.oneOf(job, 'status', `${jobPath}.status`, Object.values(TicketStatus));
      read.list(job, 'changes', `${jobPath}.changes`).forEach((changeValue, changeIndex) => {
        const changePath = `${jobPath}.changes[${changeIndex}]`;
        const change = read.object(changeValue, changePath);
        if (!change) return;
        read.text(change, 'field', `${changePath}.field`, { min: 1, max: CHANGE_FIELD_MAX_LENGTH });
        read.text(change, 'from', `${changePath}.from`, { max: DESCRIPTION_MAX_LENGTH, nullable: true });
        read.text(change, 'to', `${changePath}.to`, { max: DESCRIPTION_MAX_LENGTH, nullable: true });
      });
    });
  });
  problems.throwIfAny();
  return document as unknown as ExportDocument;
}

/** JSON.parse with the place of a syntax error as a line and column, which an editor can go to. */
export function parseJsonFile(text: string): unknown {
  if (text.trim() === '')
    throw ImportRefusedError.one('document', 'required', 'The file is empty: expected a JSON export.');
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = (error as Error).message;
    const position = /position (\d+)/.exec(detail);
    let where = '';
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
    }
    throw ImportRefusedError.one(
      position ? `line ${text.slice(0, Number(position[1])).split('\n').length}` : 'document',
      'format',
      `The file is not valid JSON${where}: ${detail}.`,
    );
  }
}
