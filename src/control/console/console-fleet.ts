/**
 * What the console's rollout and fleet-run pages use of the control plane's fleet services: the very
 * services behind `vigia rollout ...` and `vigia run ...` (server.ts FleetApi satisfies this shape),
 * so a pause or a run started from the console is the same code, the same checks and the same audit
 * lines as from the command line, with the session's name as the actor.
 */
import type { RunService } from '../fleet-runs/run-service.js';
import type { RolloutService } from '../rollouts/rollout-service.js';
import type { RolloutRow } from '../store/fleet-store.js';

/** The rollout and run services as the console sees them. */
export interface ConsoleFleet {
  readonly rollouts: Pick<RolloutService, 'view' | 'drift' | 'pause' | 'resume' | 'rollback'>;
  readonly runs: Pick<RunService, 'start' | 'view' | 'results' | 'list'>;
  /** Rollouts newest first (the current one included), at most `limit`; absent: no history shown. */
  readonly rolloutHistory?: (limit: number) => Promise<readonly RolloutRow[]>;
}
