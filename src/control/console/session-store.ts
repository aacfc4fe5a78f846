/**
 * The console's sessions and one-time login links in the control store (migration 0006), so that
 * every worker of `vigia server --workers N` sees them. Only hashes of session ids and login codes
 * are stored (session.ts `secretHash`). Times are given by the caller (its Clock).
 */
import { newToken } from '../../core/auth.js';
import type { Database } from '../../core/db/database.js';
import { insertAuditRow } from '../store/audit-log.js';
import { secretHash } from './session.js';

/** A stored session (by the hash of its id). */
export interface SessionRow {
  readonly idHash: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly expiresAt: Date;
}

/** What a login link or a token login grants. */
export interface Grant {
  /** Who the session is, in audit lines and the page header (a token's name). */
  readonly name: string;
  readonly scopes: readonly string[];
}

interface RawSession {
  id_hash: string;
  name: string;
  scopes: unknown;
  created_at: Date | string;
  last_used_at: Date | string;
  expires_at: Date | string;
}

const asDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const asScopes = (v: unknown): string[] => {
  const a = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(a) ? a.filter((s): s is string => typeof s === 'string') : [];
};

/** Sessions and login links over the control store's database. */
export class SessionStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Start a session for `grant`: a new random id (answered once, stored as its hash) and, in the same
   * transaction, the deletion of `replacedId`'s session (rotation at login) and a `console.login`
   * audit row.
   */
  async create(grant: Grant, now: Date, absoluteMs: number, address: string, how: string, replacedId?: string): Promise<{ id: string; expiresAt: Date }> {
    const id = newToken();
    const expiresAt = new Date(now.getTime() + absoluteMs);
    await this.#db.transaction(async (tx) => {
      if (replacedId !== undefined) await tx.query('DELETE FROM console_sessions WHERE id_hash = $1', [secretHash(replacedId)]);
      // Expired sessions go when new ones come: the table stays the size of the live sessions.
      await tx.query('DELETE FROM console_sessions WHERE expires_at <= $1', [now]);
      await tx.query(
        'INSERT INTO console_sessions (id_hash, name, scopes, created_at, last_used_at, expires_at, address) VALUES ($1, $2, $3::text::jsonb, $4, $4, $5, $6)',
        [secretHash(id), grant.name, JSON.stringify(grant.scopes), now, expiresAt, address],
      );
      await insertAuditRow(tx, grant.name, 'console.login', { how, address, scopes: grant.scopes });
    });
    return { id, expiresAt };
  }

  /** The session with this id, or undefined (validity is the caller's: session.ts `sessionAlive`). */
  async get(id: string): Promise<SessionRow | undefined> {
    const rows = await this.#db.query<RawSession>('SELECT id_hash, name, scopes, created_at, last_used_at, expires_at FROM console_sessions WHERE id_hash = $1', [secretHash(id)]);
    const r = rows[0];
    if (!r) return undefined;
    return { idHash: r.id_hash, name: r.name, scopes: asScopes(r.scopes), createdAt: asDate(r.created_at), lastUsedAt: asDate(r.last_used_at), expiresAt: asDate(r.expires_at) };
  }

  /** Record a use of the session (idle expiry counts from here). */
  async touch(idHash: string, now: Date): Promise<void> {
    await this.#db.query('UPDATE console_sessions SET last_used_at = $2 WHERE id_hash = $1 AND last_used_at < $2', [idHash, now]);
  }

  /** End a session; with `audit`, a `console.logout` row in the same transaction. Returns whether it existed. */
  async remove(idHash: string, audit?: { actor: string; address: string }): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const gone = await tx.query('DELETE FROM console_sessions WHERE id_hash = $1 RETURNING name', [idHash]);
      if (gone.length > 0 && audit) await insertAuditRow(tx, audit.actor, 'console.logout', { address: audit.address });
      return gone.length > 0;
    });
  }

  /** Record a failed login (bad token, unknown, used or expired link). */
  async loginFailed(address: string, how: string, reason: string): Promise<void> {
    await insertAuditRow(this.#db, 'anonymous', 'console.login_failed', { how, address, reason });
  }

  /**
   * Make a one-time login link code for `grant`, valid until now + ttlMs; the code is answered once
   * and stored as its hash. A `console.login_link` audit row names who made it, for whom.
   */
  async createLink(grant: Grant, createdBy: string, now: Date, ttlMs: number): Promise<{ code: string; expiresAt: Date }> {
    const code = newToken();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.#db.transaction(async (tx) => {
      await tx.query('DELETE FROM console_login_links WHERE expires_at <= $1', [now]);
      await tx.query(
        'INSERT INTO console_login_links (code_hash, name, scopes, created_by, created_at, expires_at) VALUES ($1, $2, $3::text::jsonb, $4, $5, $6)',
        [secretHash(code), grant.name, JSON.stringify(grant.scopes), createdBy, now, expiresAt],
      );
      await insertAuditRow(tx, createdBy, 'console.login_link', { name: grant.name, scopes: grant.scopes, expires_at: expiresAt.toISOString() });
    });
    return { code, expiresAt };
  }

  /**
   * Use a login link: deletes it and answers its grant when it exists and is unexpired at `now`;
   * undefined otherwise (unknown, used, expired). Single use even under concurrent requests: one
   * DELETE ... RETURNING wins.
   */
  async consumeLink(code: string, now: Date): Promise<Grant | undefined> {
    const rows = await this.#db.query<{ name: string; scopes: unknown; expires_at: Date | string }>('DELETE FROM console_login_links WHERE code_hash = $1 RETURNING name, scopes, expires_at', [secretHash(code)]);
    const r = rows[0];
    if (!r || asDate(r.expires_at).getTime() <= now.getTime()) return undefined;
    return { name: r.name, scopes: asScopes(r.scopes) };
  }
}
