/**
 * Migration 3: the leader lease's discovery row (`vigia server --workers N`, later several hosts).
 *
 * Who leads is decided by a PostgreSQL session advisory lock (core/db/leader-lease.ts), never by this
 * table: the row only tells followers where the lock holder listens for forwarded fleet requests
 * (`address`) and that it is alive (`heartbeat_at`, database time, so hosts' clocks do not matter).
 * Only the lock holder writes it; a stale heartbeat means "no leader known".
 */
export const MIGRATION_0003_CONTROL_LEADER = `
CREATE TABLE control_leader (
  lease text PRIMARY KEY,
  holder text NOT NULL,
  address text NOT NULL,
  acquired_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
`;
