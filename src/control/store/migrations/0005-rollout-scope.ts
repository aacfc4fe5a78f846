/**
 * Migration 5: what a rollout covers and what its gate trusts (issue 14).
 *
 * - `selector`: the `--where` clause a release was published with (NULL: every enrolled host). Only
 *   the hosts it selected at publish, and hosts enrolled later that it selects, are in the waves.
 * - `max_stuck_rate`: the share of stuck hosts the gate tolerates before it holds (NULL: the failure
 *   threshold, as before).
 * - `checks_since`: set by a resume; check results sampled before it are not judged (they caused the
 *   pause), so the gate waits for fresh ones. NULL: every result counts.
 */
export const MIGRATION_0005_ROLLOUT_SCOPE = `
ALTER TABLE rollouts ADD COLUMN selector jsonb;
ALTER TABLE rollouts ADD COLUMN max_stuck_rate double precision;
ALTER TABLE rollouts ADD COLUMN checks_since timestamptz;
`;
