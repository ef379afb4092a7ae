import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';
import { inList, readRows } from '../loaders';
import { isDeactivated } from '../users/deactivation';
import type { User } from '../users/user.entity';

/** What the service does on a WebSocket, per socket and per user, and how long it waits. */
export const LIVE_LIMITS = {
  /** A graphql-ws message larger than this closes the socket (1009). A subscription document is small. */
  maxPayloadBytes: 16 * 1024,
  /** Open sockets per user (tabs, devices, integrations): the next is refused with 4429. */
  connectionsPerUser: 10,
  /** Subscriptions at once on one socket: the next is answered BAD_USER_INPUT (limitReached). */
  subscriptionsPerConnection: 20,
  /** Subscribe messages per socket per minute (each is checked and authenticated like a request). */
  subscribesPerMinute: 120,
  /** connection_init must arrive within this after the socket opens (graphql-ws closes with 4408). */
  connectionInitWaitMs: 5000,
  /** Every socket's credential is checked again this often (other instances' logouts, revocations). */
  recheckMs: 10_000,
  /** Events waiting for a subscriber that does not read them: past this, its socket is closed (1013). */
  queueCapacity: 1000,
  /**
   * Bytes written to a socket and not yet taken by its peer (answers to pings, refusals): past this, the
   * socket is closed (1013). A reader's events wait in its queue, not here: one answer per subscription.
   */
  maxBufferedBytes: 4 * 1024 * 1024,
} as const;

/** The close codes of the live socket (graphql-ws's where it has one). */
export const LIVE_CLOSE = {
  /** No credential, or one that is not valid (graphql-ws: Unauthorized; its client does not retry). */
  unauthorized: 4401,
  /** A session that ended while connected (logout, expiry, deactivation, a revoked token). */
  forbidden: 4403,
  /**
   * The session cookie from a page of another site (graphql-ws: Bad Request; its client does not retry).
   * Not 4403: a client reads that as "signed out", and a proxy that rewrites Host would sign everyone out.
   */
  foreignOrigin: 4400,
  /** Too many sockets for this user. */
  tooMany: 4429,
  /** The subscriber did not read its events (its queue overflowed). */
  tooSlow: 1013,
  /** The service stops. */
  goingAway: 1001,
} as const;

/** A WebSocket close reason is at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text;
  while (Buffer.byteLength(`${cut}…`) > 123) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** One authenticated socket. */
export interface LiveConnection {
  principal: Principal;
  /** Closes the socket with a code and reason, once. */
  end(code: number, reason: string): void;
}

/**
 * Counts a socket's subscribe messages in windows of a minute: null while under the limit, else the
 * seconds until the next window.
 */
export class SubscribeRate {
  private windowStart = 0;
  private count = 0;

  constructor(private readonly perMinute: number = LIVE_LIMITS.subscribesPerMinute) {}

  take(nowMs: number): number | null {
    if (nowMs - this.windowStart >= 60_000) {
      this.windowStart = nowMs;
      this.count = 0;
    }
    this.count += 1;
    return this.count <= this.perMinute ? null : Math.ceil((this.windowStart + 60_000 - nowMs) / 1000);
  }
}

/** Whether this connection's credential still stands for the user as read now. */
export function stillSignedIn(
  principal: Principal,
  user: Pick<User, 'sessionVersion' | 'deactivatedAt'>,
): boolean {
  if (isDeactivated(user)) return false;
  return principal.kind !== 'session' || user.sessionVersion === principal.claims.sv;
}

/** The open sockets by user: the per-user limit, and the set the session check goes over. */
export class LiveConnections {
  private readonly byUser = new Map<number, Set<LiveConnection>>();

  constructor(private readonly perUser: number = LIVE_LIMITS.connectionsPerUser) {}

  /** Counts the connection in, unless its user already has perUser: then false, and nothing changes. */
  admit(connection: LiveConnection): boolean {
    const userId = connection.principal.user.id;
    let mine = this.byUser.get(userId);
    if (!mine) this.byUser.set(userId, (mine = new Set()));
    if (mine.has(connection)) return true;
    if (mine.size >= this.perUser) return false;
    mine.add(connection);
    return true;
  }

  remove(connection: LiveConnection): void {
    const userId = connection.principal.user.id;
    const mine = this.byUser.get(userId);
    mine?.delete(connection);
    if (mine?.size === 0) this.byUser.delete(userId);
  }

  countOf(userId: number): number {
    return this.byUser.get(userId)?.size ?? 0;
  }

  get size(): number {
    let total = 0;
    for (const mine of this.byUser.values()) total += mine.size;
    return total;
  }

  all(): LiveConnection[] {
    return [...this.byUser.values()].flatMap((mine) => [...mine]);
  }
}

export const SESSION_ENDED = 'Session ended: sign in again.';
export const SESSION_EXPIRED = 'Session expired: sign in again.';
export const TOKEN_ENDED = 'API token revoked or expired.';
export const TOO_SLOW = 'Too slow: events were not read; reconnect.';

/**
 * Which connections' credentials themselves ended, and why: sessions past their expiry or logged out
 * (revoked_token), API tokens revoked (deleted) or expired. The user's side (deactivation, session
 * version) is not read here. At most two statements, whatever the number of connections; none when no
 * connection holds a session (or a token).
 */
export async function endedCredentials(
  manager: EntityManager,
  connections: readonly LiveConnection[],
  now: Date,
): Promise<Map<LiveConnection, string>> {
  const ended = new Map<LiveConnection, string>();
  const open: LiveConnection[] = [];
  for (const connection of connections) {
    const principal = connection.principal;
    if (principal.kind === 'session' && principal.claims.exp * 1000 <= now.getTime())
      ended.set(connection, SESSION_EXPIRED);
    else open.push(connection);
  }

  const jtis = [
    ...new Set(open.flatMap((c) => (c.principal.kind === 'session' ? [c.principal.claims.jti] : []))),
  ];
  const revoked = new Set<string>();
  if (jtis.length > 0) {
    const rows = await readRows<{ jti: string }>(
      manager,
      `SELECT "jti" FROM "revoked_token" WHERE "jti" IN (${jtis.map(() => '?').join(', ')})`,
      jtis,
    );
    for (const row of rows) revoked.add(row.jti);
  }

  const tokenIds = [
    ...new Set(open.flatMap((c) => (c.principal.kind === 'token' ? [c.principal.tokenId] : []))),
  ];
  const tokens = new Map<number, number | null>();
  if (tokenIds.length > 0) {
    const list = inList(tokenIds);
    const rows = await readRows<{ id: number; expiresAt: number | string | null }>(
      manager,
      `SELECT "id", "expiresAt" FROM "api_token" WHERE "id" ${list.sql}`,
      list.parameters,
    );
    for (const row of rows) tokens.set(Number(row.id), row.expiresAt === null ? null : Number(row.expiresAt));
  }

  for (const connection of open) {
    const principal = connection.principal;
    if (principal.kind === 'session') {
      if (revoked.has(principal.claims.jti)) ended.set(connection, SESSION_ENDED);
    } else {
      const expiresAt = tokens.get(principal.tokenId);
      const valid = tokens.has(principal.tokenId) && (expiresAt == null || expiresAt > now.getTime());
      if (!valid) ended.set(connection, TOKEN_ENDED);
    }
  }
  return ended;
}

/**
 * Which connections' credentials no longer stand, and why: endedCredentials, plus users deactivated or
 * whose session version moved (password change). At most three statements, whatever the number of
 * connections.
 */
export async function endedConnections(
  manager: EntityManager,
  connections: readonly LiveConnection[],
  now: Date,
): Promise<Map<LiveConnection, string>> {
  const ended = await endedCredentials(manager, connections, now);
  const open = connections.filter((connection) => !ended.has(connection));
  if (open.length === 0) return ended;

  const userIds = [...new Set(open.map((connection) => connection.principal.user.id))];
  const users = inList(userIds);
  const userRows = await readRows<{ id: number; sessionVersion: number; deactivatedAt: number | null }>(
    manager,
    `SELECT "id", "sessionVersion", "deactivatedAt" FROM "user" WHERE "id" ${users.sql}`,
    users.parameters,
  );
  const current = new Map(userRows.map((row) => [Number(row.id), row]));
  for (const connection of open) {
    const principal = connection.principal;
    const user = current.get(principal.user.id);
    const signedIn =
      user !== undefined &&
      stillSignedIn(principal, {
        sessionVersion: Number(user.sessionVersion),
        deactivatedAt: user.deactivatedAt === null ? null : new Date(Number(user.deactivatedAt)),
      });
    if (!signedIn) ended.set(connection, principal.kind === 'session' ? SESSION_ENDED : TOKEN_ENDED);
  }
  return ended;
}
