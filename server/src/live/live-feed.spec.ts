import { Job } from '../tickets/job.entity';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { type LiveEvent, type LiveSubscriber, fanOut } from './live-feed';

function person(id: number, role: Role, extra: Partial<User> = {}): User {
  return Object.assign(new User(), { id, role, sessionVersion: 1, deactivatedAt: null, ...extra });
}

function event(
  eventId: number,
  ticket: { id: number; authorId: number; projectId: number },
  internal = false,
): LiveEvent {
  const job = Object.assign(new Job(), { id: eventId * 10, ticketId: ticket.id, internal });
  return { eventId, job, ticket };
}

function subscriber(userId: number, matches: (event: LiveEvent) => boolean = () => true) {
  const got: { job: number; viewer: User; batch: number }[] = [];
  const sub: LiveSubscriber = {
    userId,
    matches,
    stillSignedIn: (user) => user.sessionVersion === 1,
    deliver: (job, viewer, batch) => void got.push({ job: job.id, viewer, batch }),
  };
  return { sub, got };
}

const aliceTicket = { id: 1, authorId: 3, projectId: 7 };
const bobTicket = { id: 2, authorId: 4, projectId: 8 };
const events = [
  event(1, aliceTicket),
  event(2, aliceTicket, true),
  event(3, bobTicket),
  event(4, bobTicket, true),
];

describe('fanOut', () => {
  test('a USER gets the public jobs of their own tickets, staff everything, in order', () => {
    const users = new Map([
      [2, person(2, Role.AGENT)],
      [3, person(3, Role.USER)],
      [4, person(4, Role.USER)],
    ]);
    const agent = subscriber(2);
    const alice = subscriber(3);
    const bob = subscriber(4);
    expect(fanOut(events, users, [agent.sub, alice.sub, bob.sub], 5)).toBe(4 + 1 + 1);
    expect(agent.got.map((d) => d.job)).toEqual([10, 20, 30, 40]);
    expect(alice.got.map((d) => d.job)).toEqual([10]);
    expect(bob.got.map((d) => d.job)).toEqual([30]);
    expect(agent.got.every((d) => d.batch === 5 && d.viewer === users.get(2))).toBe(true);
  });

  test('the user as read for the batch decides: a demoted agent, a deactivated or signed-out user', () => {
    const demoted = subscriber(2);
    const deactivated = subscriber(5);
    const signedOut = subscriber(6);
    const gone = subscriber(9);
    const users = new Map([
      [2, person(2, Role.USER)],
      [5, person(5, Role.AGENT, { deactivatedAt: new Date(0) })],
      [6, person(6, Role.AGENT, { sessionVersion: 2 })],
    ]);
    fanOut(events, users, [demoted.sub, deactivated.sub, signedOut.sub, gone.sub], 1);
    expect(demoted.got).toEqual([]);
    expect(deactivated.got).toEqual([]);
    expect(signedOut.got).toEqual([]);
    expect(gone.got).toEqual([]);
  });

  test('the subscription’s own choice narrows, never widens', () => {
    const users = new Map([
      [3, person(3, Role.USER)],
      [1, person(1, Role.ADMIN)],
    ]);
    const aliceOnBob = subscriber(3, (e) => e.ticket.id === bobTicket.id);
    const adminProject = subscriber(1, (e) => e.ticket.projectId === 8);
    fanOut(events, users, [aliceOnBob.sub, adminProject.sub], 1);
    expect(aliceOnBob.got).toEqual([]);
    expect(adminProject.got.map((d) => d.job)).toEqual([30, 40]);
  });
});
