/**
 * Migration 6: the web console's sessions and one-time login links (issue 16).
 *
 * - `console_sessions`: one row per logged-in browser. Only the SHA-256 of the session id is stored,
 *   so a copy of the database logs nobody in. `scopes` and `name` are those of the operator token or
 *   login link the session was made from. `expires_at` is the absolute expiry (fixed at login);
 *   `last_used_at` drives the idle expiry and is refreshed at most once a minute per session (a page
 *   view is not a database write). In the store, not in memory, so every worker of
 *   `vigia server --workers N` sees every session.
 * - `console_login_links`: one row per unused link, by the SHA-256 of its code; using it deletes
 *   the row (single use: DELETE ... RETURNING is atomic), expired rows are deleted when links are
 *   made or used.
 */
export const MIGRATION_0006_CONSOLE_SESSIONS = `
CREATE TABLE console_sessions (
  id_hash text PRIMARY KEY,
  name text NOT NULL,
  scopes jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  address text NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

CREATE TABLE console_login_links (
  code_hash text PRIMARY KEY,
  name text NOT NULL,
  scopes jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
`;
