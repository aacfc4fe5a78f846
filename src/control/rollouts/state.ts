/**
 * The rollout state machine and the one question hosts ask of it: which release should I run?
 * Pure; the store persists the state and the current wave, the server applies events.
 *
 *   running --advance--> running (the caller bumps currentWave)
 *   running --complete--> completed
 *   running --fail--> rolling_back (autoRollback and a pre-signed revert) | paused
 *   running --pause--> paused --resume--> running           (pause/resume repeated are no-ops)
 *   running | paused --rollback--> rolling_back (needs the revert release) --rolled_back--> rolled_back
 *   any state but superseded --superseded--> superseded     (a newer publish took over)
 *
 * Rolling back a COMPLETED rollout is refused: every host runs the new release then, and undoing it
 * is a new publish (of the old content, or the pre-signed revert) with its own waves.
 */
import { VigiaError } from '../../core/errors.js';

/** Every state a rollout can be in. */
export const ROLLOUT_STATES = ['running', 'paused', 'rolling_back', 'rolled_back', 'completed', 'superseded'] as const;

/** A rollout's state. */
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** Something that happens to a rollout: a gate verdict, an operator command, or the store noticing. */
export type RolloutEvent =
  | { readonly type: 'advance' }
  | { readonly type: 'complete' }
  | { readonly type: 'fail'; readonly autoRollback: boolean; readonly hasRevert: boolean }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'rollback'; readonly hasRevert: boolean }
  | { readonly type: 'rolled_back' }
  | { readonly type: 'superseded' };

/** True for states no event but `superseded` leaves (nothing more will happen to the hosts). */
export function isSettledState(state: RolloutState): boolean {
  return state === 'completed' || state === 'rolled_back' || state === 'superseded';
}

const VERBS: Record<RolloutEvent['type'], string> = {
  advance: 'advance',
  complete: 'complete',
  fail: 'fail',
  pause: 'pause',
  resume: 'resume',
  rollback: 'roll back',
  rolled_back: 'finish rolling back',
  superseded: 'supersede',
};

function illegal(state: RolloutState, event: RolloutEvent, why: string): VigiaError {
  return new VigiaError('CONTROL_ERR_ROLLOUT_STATE', `cannot ${VERBS[event.type]} a rollout that is ${state.replace('_', ' ')}: ${why}`);
}

/**
 * The state after `event`; throws CONTROL_ERR_ROLLOUT_STATE (409) for a transition the diagram in
 * the file header does not allow, with a message saying why and what to do instead.
 */
export function transition(state: RolloutState, event: RolloutEvent): RolloutState {
  switch (event.type) {
    case 'advance':
    case 'complete':
      if (state === 'running') return event.type === 'advance' ? 'running' : 'completed';
      throw illegal(state, event, state === 'paused' ? 'resume it first' : 'only a running rollout moves through its waves');
    case 'fail':
      if (state === 'running') return event.autoRollback && event.hasRevert ? 'rolling_back' : 'paused';
      throw illegal(state, event, 'only a running rollout is gated');
    case 'pause':
      if (state === 'running' || state === 'paused') return 'paused';
      throw illegal(state, event, 'only a running rollout can be paused');
    case 'resume':
      if (state === 'paused' || state === 'running') return 'running';
      throw illegal(state, event, 'only a paused rollout can be resumed');
    case 'rollback':
      if (state === 'rolling_back') return 'rolling_back';
      if (state === 'running' || state === 'paused') {
        if (event.hasRevert) return 'rolling_back';
        throw illegal(state, event, 'it has no pre-signed revert release; publish the previous bundle again');
      }
      if (state === 'completed') throw illegal(state, event, 'every host runs the new release; publish the previous bundle (or the revert release) as a new rollout');
      throw illegal(state, event, 'it is over');
    case 'rolled_back':
      if (state === 'rolling_back') return 'rolled_back';
      throw illegal(state, event, 'only a rollout that is rolling back can finish rolling back');
    case 'superseded':
      if (state !== 'superseded') return 'superseded';
      throw illegal(state, event, 'it is already superseded');
  }
}

/** What desiredRelease needs to know about a rollout. Release numbers as in the release envelope. */
export interface RolloutTarget {
  readonly state: RolloutState;
  /** The wave the rollout has reached, 0-based (hosts of waves <= currentWave have moved). */
  readonly currentWave: number;
  /** The release being rolled out. */
  readonly release: number;
  /** The release hosts ran before; null for the first publish of a bundle (they ran nothing). */
  readonly previousRelease: number | null;
  /** The pre-signed revert release (content of previousRelease, number above release); null if none. */
  readonly revertRelease: number | null;
}

/**
 * The release a host should run under this rollout, or null for "no bundle" (first publish, host not
 * reached yet). `hostWave` undefined means the host has no wave in this rollout: it is treated as not
 * reached (previousRelease) unless the rollout completed. Rules: completed -> release;
 * running/paused -> release when hostWave <= currentWave, else previousRelease; rolling_back and
 * rolled_back -> revertRelease for hosts that had moved (agents refuse to go down to
 * previousRelease), previousRelease for the others. Throws CONTROL_ERR_ROLLOUT_STATE for a
 * superseded rollout (the caller asks the newer one) or a rollback without a revert release.
 */
export function desiredRelease(args: { readonly rollout: RolloutTarget; readonly hostWave: number | undefined }): number | null {
  const { rollout: r, hostWave } = args;
  const moved = hostWave !== undefined && hostWave <= r.currentWave;
  switch (r.state) {
    case 'completed':
      return r.release;
    case 'running':
    case 'paused':
      return moved ? r.release : r.previousRelease;
    case 'rolling_back':
    case 'rolled_back':
      if (!moved) return r.previousRelease;
      if (r.revertRelease === null) throw new VigiaError('CONTROL_ERR_ROLLOUT_STATE', `rollout to release ${r.release} is ${r.state.replace('_', ' ')} but has no revert release`);
      return r.revertRelease;
    case 'superseded':
      throw new VigiaError('CONTROL_ERR_ROLLOUT_STATE', `rollout to release ${r.release} is superseded; ask the rollout that replaced it`);
  }
}
