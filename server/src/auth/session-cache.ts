import type { EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { User } from '../users/user.entity';
import type { TokenClaims } from './token.service';

/** How long a checked session is believed without reading it again, at most (SESSION_CACHE_MS). */
export const SESSION_CACHE_MS = 2_000;
/** Sessions remembered; the oldest is forgotten beyond it. */
export const SESSION_CACHE_SIZE = 10_000;

/** A statement that may change what a session check reads: the user's row, or the revoked tokens. */
const AUTH_WRITE =
  /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(?:user|revoked_token)"?[\s(]/i;
/** The end of a transaction, whether its writes stay or not. */
const TRANSACTION_END = /^\s*(?:COMMIT|ROLLBACK|END)\b/i;

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
 * between the moment its reading began and the moment it is stored. Another instance's writes arrive as a
 * PostgreSQL notification (app.ts); writes no notification reaches (another process on the same SQLite
 * file) are seen within SESSION_CACHE_MS. An entry never outlives its token's expiry.
 */
export class SessionCache {
  private generation = 0;
  private readonly entries = new Map<string, Entry>();
  /** Query runners inside a transaction that wrote to the tables above, until that transaction ends. */
  private readonly writing = new WeakSet<QueryRunner>();
  /** Told of each write above once it is committed (or rolled back): other instances forget theirs. */
  onWritten: () => void = () => {};

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = SESSION_CACHE_MS,
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
    if (this.ttlMs === 0) return undefined;
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
    if (this.ttlMs === 0 || readingBegan !== this.generation) return;
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

  /** Sees every statement the database runs, before (`done` false) and after it. */
  noteStatement(sql: string, runner: QueryRunner | undefined, done: boolean): void {
    if (AUTH_WRITE.test(sql)) {
      this.forgetAll();
      if (runner?.isTransactionActive) this.writing.add(runner);
      else if (done) this.onWritten();
    } else if (runner && this.writing.has(runner) && TRANSACTION_END.test(sql)) {
      this.forgetAll();
      if (done) {
        this.writing.delete(runner);
        this.onWritten();
      }
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
