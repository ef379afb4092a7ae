import { inList, jobFromRow } from './loaders';
import { Job } from './tickets/job.entity';
import { TicketStatus } from './tickets/ticket.enums';
import { Role } from './users/role';
import { userFromRow } from './users/user-row';

describe('entities read raw by the loaders', () => {
  const row = {
    id: 7,
    ticketId: 3,
    authorId: 2,
    authorRole: Role.AGENT,
    createdAt: 1_795_000_000_000,
    comment: null,
    internal: 1,
    status: 3,
    changes: '[{"field":"status","from":"OPEN","to":"RESOLVED"}]',
  };

  it('builds the Job TypeORM would build: dates, flags and statuses by name, changes parsed', () => {
    const job = jobFromRow(row);
    expect(job).toBeInstanceOf(Job);
    expect(job).toEqual(
      Object.assign(new Job(), {
        id: 7,
        ticketId: 3,
        authorId: 2,
        authorRole: Role.AGENT,
        createdAt: new Date(1_795_000_000_000),
        comment: null,
        internal: true,
        status: TicketStatus.RESOLVED,
        changes: [{ field: 'status', from: 'OPEN', to: 'RESOLVED' }],
      }),
    );
    expect(jobFromRow({ ...row, internal: false, status: 0 })).toMatchObject({
      internal: false,
      status: TicketStatus.OPEN,
    });
  });

  it('reads PostgreSQL booleans and SQLite 0/1 alike for a user', () => {
    const base = {
      id: 1,
      username: 'ann',
      usernameKey: 'ann',
      email: 'ann@example.com',
      emailKey: 'ann@example.com',
      passwordHash: 'x',
      role: 'ADMIN',
      locale: 'FR',
      sessionVersion: 4,
      createdAt: '1795000000000',
    };
    const fromSqlite = userFromRow({ ...base, notifyByEmail: 1, emailVerified: 0, notifyNewTickets: 1 });
    const fromPostgres = userFromRow({
      ...base,
      notifyByEmail: true,
      emailVerified: false,
      notifyNewTickets: true,
    });
    expect(fromSqlite).toEqual(fromPostgres);
    expect(fromSqlite).toMatchObject({
      emailVerified: false,
      notifyByEmail: true,
      createdAt: new Date(1_795_000_000_000),
    });
  });
});

describe('inList', () => {
  it('pads the ids to a power of two with the last one, so few statement texts are ever prepared', () => {
    expect(inList([5])).toEqual({ sql: 'IN (?)', parameters: [5] });
    expect(inList([5, 6, 7])).toEqual({ sql: 'IN (?, ?, ?, ?)', parameters: [5, 6, 7, 7] });
    expect(inList([1, 2, 3, 4]).parameters).toEqual([1, 2, 3, 4]);
    const texts = new Set(
      Array.from({ length: 1000 }, (_, n) => inList(Array.from({ length: n + 1 }, (_, i) => i)).sql),
    );
    expect(texts.size).toBe(11);
  });
});
