import fs from 'node:fs';
import path from 'node:path';
import { type GraphQLObjectType, type GraphQLResolveInfo, buildSchema, findBreakingChanges } from 'graphql';
import { GraphQLISODateTime, getMetadataStorage } from 'type-graphql';
import {
  DateTimeISO,
  buildApiSchema,
  callResolverMethodsDirectly,
  printApiSchema,
  readPlainFieldsDirectly,
  schemaFile,
} from './schema';
import { Job } from './tickets/job.entity';
import { User } from './users/user.entity';

const contractDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'api');
const contracts = [
  'core.graphql',
  'accounts.graphql',
  'integrations.graphql',
  'ticket-page.graphql',
  'live.graphql',
].map((name) => path.join(contractDir, name));
const contractPresent = contracts.every((file) => fs.existsSync(file));
// accounts.graphql (like any later part) extends core.graphql: it is read together with it.
const contractSource = (file: string): string =>
  file === contracts[0]
    ? fs.readFileSync(file, 'utf8')
    : `${fs.readFileSync(contracts[0], 'utf8')}\n${fs.readFileSync(file, 'utf8')}`;

if (!contractPresent) {
  // Printed once at the end of the run by the summary reporter (jest hides the console of skipped tests).
  const reason = `the API contract check is skipped: ${contractDir} is absent (it is there beside the checkout in CI).`;
  const notes = process.env.SIMPLE_TICKETING_SKIP_NOTES;
  if (notes) fs.appendFileSync(notes, `${reason}\n`, { mode: 0o600 });
  else console.warn(`SKIPPED: ${reason}`);
}

describe('schema.graphql', () => {
  test('the committed copy is up to date with the code (run `npm run schema` to regenerate it)', async () => {
    expect(fs.readFileSync(schemaFile, 'utf8')).toBe(await printApiSchema());
  });

  (contractPresent ? test : test.skip).each(contracts)(
    'satisfies the API contract %s: no breaking change',
    (file) => {
      const contract = buildSchema(contractSource(file));
      const schema = buildSchema(fs.readFileSync(schemaFile, 'utf8'));
      expect(
        findBreakingChanges(contract, schema).map((change) => `${change.type}: ${change.description}`),
      ).toEqual([]);
    },
  );
});

describe('DateTimeISO', () => {
  test('writes a Date as graphql-scalars does, and refuses what it refuses', () => {
    for (const value of [
      new Date(0),
      new Date(1_795_000_000_123),
      '2026-11-26T10:15:30Z',
      1_795_000_000_000,
    ]) {
      expect(DateTimeISO.serialize(value)).toBe(GraphQLISODateTime.serialize(value));
    }
    expect(() => DateTimeISO.serialize(new Date(Number.NaN))).toThrow();
    expect(() => DateTimeISO.serialize({})).toThrow();
    expect(DateTimeISO.parseValue('2026-11-26T10:15:30Z')).toEqual(new Date('2026-11-26T10:15:30Z'));
  });
});

describe('plain fields read directly (readPlainFieldsDirectly)', () => {
  test("a row's plain fields have no resolver; resolver methods, roles and middlewares keep theirs", async () => {
    const schema = await buildApiSchema();
    const fieldsOf = (name: string) => (schema.getType(name) as GraphQLObjectType).getFields();
    for (const name of ['id', 'createdAt', 'comment', 'internal', 'changes']) {
      expect(fieldsOf('Job')[name].resolve).toBeUndefined();
    }
    for (const name of ['id', 'title', 'status', 'closedAt'])
      expect(fieldsOf('Ticket')[name].resolve).toBeUndefined();
    // Resolver methods: the access policy, loaders and markdown run as before.
    expect(fieldsOf('Job').author.resolve).toBeDefined();
    expect(fieldsOf('Ticket').jobs.resolve).toBeDefined();
    expect(fieldsOf('User').email.resolve).toBeDefined();
  });

  test('a field with a role or a middleware keeps its resolver', async () => {
    const schema = await buildApiSchema();
    const job = getMetadataStorage().objectTypes.find((type) => type.name === 'Job')!;
    const comment = job.fields!.find((field) => field.schemaName === 'comment')!;
    const built = (schema.getType('Job') as GraphQLObjectType).getFields().comment;
    const checked = () => 'checked';
    try {
      for (const change of [{ roles: ['ADMIN'] }, { roles: [] }, { middlewares: [() => undefined] }]) {
        Object.assign(comment, { roles: undefined, middlewares: [] }, change);
        built.resolve = checked;
        expect(readPlainFieldsDirectly(schema)).not.toContain('Job.comment');
        expect(built.resolve).toBe(checked);
      }
      Object.assign(comment, { roles: undefined, middlewares: [] });
      expect(readPlainFieldsDirectly(schema)).toEqual(['Job.comment']);
      expect(built.resolve).toBeUndefined();
    } finally {
      Object.assign(comment, { roles: undefined, middlewares: [] });
      built.resolve = undefined;
    }
  });
});

describe('resolver methods called directly (callResolverMethodsDirectly)', () => {
  test('methods of the parent and the context only are called directly', async () => {
    const schema = await buildApiSchema();
    expect(callResolverMethodsDirectly(schema)).toEqual(
      expect.arrayContaining([
        'Ticket.project',
        'Ticket.author',
        'Ticket.assignee',
        'Ticket.jobs',
        'Job.author',
      ]),
    );
  });

  test('a method given a role, a middleware, an argument or info keeps TypeGraphQL’s handler', async () => {
    const schema = await buildApiSchema();
    const storage = getMetadataStorage();
    const metadata = storage.fieldResolvers.find(
      (resolver) => resolver.schemaName === 'author' && resolver.getObjectType?.() === Job,
    )!;
    const saved = { roles: metadata.roles, middlewares: metadata.middlewares, params: metadata.params };
    const built = (schema.getType('Job') as GraphQLObjectType).getFields().author;
    const handler = built.resolve;
    const checked = () => 'checked';
    const extra = (kind: 'args' | 'info') => [...saved.params!, { ...saved.params![0], kind, index: 2 }];
    try {
      for (const change of [
        { roles: ['ADMIN'] },
        { roles: [] },
        { middlewares: [() => undefined] },
        { params: extra('args') },
        { params: extra('info') },
      ]) {
        Object.assign(metadata, saved, change);
        built.resolve = checked;
        expect(callResolverMethodsDirectly(schema)).not.toContain('Job.author');
        expect(built.resolve).toBe(checked);
      }
      Object.assign(metadata, saved);
      expect(callResolverMethodsDirectly(schema)).toContain('Job.author');
      expect(built.resolve).not.toBe(checked);
    } finally {
      Object.assign(metadata, saved);
      built.resolve = handler;
    }
  });

  test('with a global middleware, no method is called directly: every field keeps TypeGraphQL’s handler', async () => {
    const schema = await buildApiSchema();
    const built = (schema.getType('Job') as GraphQLObjectType).getFields().author;
    const handler = built.resolve;
    const checked = () => 'checked';
    try {
      built.resolve = checked;
      expect(callResolverMethodsDirectly(schema, [() => undefined])).toEqual([]);
      expect(built.resolve).toBe(checked);
    } finally {
      built.resolve = handler;
    }
  });

  test('answers what the method answers, with the class instance TypeGraphQL uses; a parent of another class goes through TypeGraphQL', async () => {
    const schema = await buildApiSchema();
    const author = (schema.getType('Job') as GraphQLObjectType).getFields().author.resolve!;
    const user = new User();
    user.id = 7;
    const context = { loaders: { userById: { known: (id: number) => (id === 7 ? user : undefined) } } };
    const job = Object.assign(new Job(), { authorId: 7 });
    const info = {} as GraphQLResolveInfo;
    expect(author(job, {}, context, info)).toBe(user);
    // A plain object is converted by TypeGraphQL (convertToType) before the method sees it: same answer.
    expect(author({ authorId: 7 }, {}, context, info)).toBe(user);
  });
});
