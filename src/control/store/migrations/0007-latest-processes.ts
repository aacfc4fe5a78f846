/**
 * Migration 7: the newest report's top processes per host (issue 16: the console's host page).
 *
 * - `latest_processes`: one row per host, replaced by each newest report that carries processes and
 *   removed by one that does not (an older agent), like `latest_checks`; the list as JSON (at most
 *   MAX_REPORT_PROCESSES entries: pid, name, user, cpu_pct, rss_bytes). Deleted with the host.
 */
export const MIGRATION_0007_LATEST_PROCESSES = `
CREATE TABLE latest_processes (
  host_id integer PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  sampled_at timestamptz NOT NULL,
  processes jsonb NOT NULL
) WITH (fillfactor = 70);
`;
