import type { EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { User } from '../users/user.entity';
import type { TokenClaims } from './token.service';

/** Sessions remembered; the oldest is forgotten beyond it. */
export const SESSION_CACHE_SIZE = 10_000;

/** A statement that may change what a session check reads: the user's row, or the revoked tokens. */
const AUTH_WRITE = new RegExp(
  [
    // Comments first (TypeORM's .comment()), and a WITH clause whose statement, or one of its parts, writes.
    String.raw`^\s*(?:/\*[\s\S]*?\*/\s*)*(?:WITH\b[\s\S]*?)?`,
    String.raw`\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+|\s+ONLY)?|DELETE\s+FROM(?:\s+ONLY)?|REPLACE\s+INTO|TRUNCATE(?:\s+TABLE)?(?:\s+ONLY)?)`,
    // The table, perhaps with its schema.
    String.raw`\s+(?:"?\w+"?\.)?"?(?:user|revoked_token)"?(?:[\s(,;]|$)`,
  ].join(''),
  'i',
);
/** The end of a transaction, whether its writes stay or not. */
const TRANSACTION_END = /^\s*(?:COMMIT|END|ROLLBACK)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i;

interface Entry {
  user: User;
  claims: TokenClaims;
  generation: number;
  expiresAt: number;
}

/**
 * Session checks believed for a moment: a page's requests, or an integration's, each read the session's
 * user and the revoked tokens (a statement, and on PostgreSQL a round trip) and verified its signature,
 * for an answer that rarely changes. Issue 11 measured it at half of a small request's CPU.
 *
 * Whatever could change the answer forgets everything, at once: a write to the user table or to the
 * revoked tokens (logout, password change, role, deactivation, any edit of a person), when the statement
 * is sent, when it is done, and when its transaction ends; an entry is only kept if nothing was forgotten
 * between the moment its reading began and the moment it is stored. On PostgreSQL, any writer's change
 * (another instance, a command) arrives as a notification a trigger sends at commit (migration
 * 1765900000000), and nothing is believed while the listening connection is down. A process writing the
 * same SQLite file is seen within SESSION_CACHE_MS. An entry never outlives its token's expiry.
 */
export class SessionCache {
  private generation = 0;
  private readonly entries = new Map<string, Entry>();
  /** Query runners inside a transaction that wrote to the tables above, until that transaction ends. */
  private readonly writing = new WeakSet<QueryRunner>();
  /** False while other instances' changes may go unheard (PostgreSQL's listener is down): nothing is believed. */
  private trusted = true;

  constructor(
    private readonly clock: Clock,
    /** How long a checked session is believed without reading it again, at most (config.sessionCacheMs). */
    private readonly ttlMs: number,
    private readonly capacity = SESSION_CACHE_SIZE,
  ) {}

  /** The moment a reading begins, to be given back to store(). */
  get current(): number {
    return this.generation;
  }

  get size(): number {
    return this.entries.size;
  }

  find(token: string): { user: User; claims: TokenClaims } | undefined {
    if (this.ttlMs === 0 || !this.trusted) return undefined;
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.generation !== this.generation || this.clock.now().getTime() >= entry.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    // A copy: a request that edits its user (updateMe) must not edit the one other requests are given.
    return { user: Object.assign(new User(), entry.user), claims: entry.claims };
  }

  store(token: string, readingBegan: number, user: User, claims: TokenClaims): void {
    if (this.ttlMs === 0 || !this.trusted || readingBegan !== this.generation) return;
    const expiresAt = Math.min(this.clock.now().getTime() + this.ttlMs, claims.exp * 1000);
    this.entries.delete(token);
    this.entries.set(token, {
      user: Object.assign(new User(), user),
      claims,
      generation: readingBegan,
      expiresAt,
    });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Everything is forgotten, and readings under way are not stored. */
  forgetAll(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /**
   * Whether other instances' changes are heard (PostgreSQL: the listening connection is up). Until they
   * are again, every session is read from the database, so a logout elsewhere is never missed.
   */
  hearingOthers(listening: boolean): void {
    this.trusted = listening;
    this.forgetAll();
  }

  /**
   * Sees every statement this instance runs, before (`done` false) and after it. Other instances hear of
   * a change from PostgreSQL itself (a trigger notifies at commit: migration 1765900000000).
   */
  noteStatement(sql: string, runner: QueryRunner | undefined, done: boolean): void {
    if (AUTH_WRITE.test(sql)) {
      this.forgetAll();
      if (runner?.isTransactionActive) this.writing.add(runner);
    } else if (runner && this.writing.has(runner) && TRANSACTION_END.test(sql)) {
      this.forgetAll();
      if (done) this.writing.delete(runner);
    }
  }

  /**
   * Watches the database's statements (TypeORM's query events, sent for every statement), and forgets
   * everything when writes are undone past TypeORM (SQLite's group commit failing whole, or one of its
   * units rolled back to its savepoint after a request read its write on the shared connection).
   */
  watch(database: Database): void {
    const watcher: EntitySubscriberInterface = {
      beforeQuery: (event) => this.noteStatement(event.query, event.queryRunner, false),
      afterQuery: (event) => this.noteStatement(event.query, event.queryRunner, true),
    };
    database.dataSource.subscribers.push(watcher);
    database.on('rolledBack', () => this.forgetAll());
  }
}
