import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { ROLLOUT_STATES, desiredRelease, isSettledState, transition, type RolloutEvent, type RolloutState, type RolloutTarget } from './state.js';

const E = {
  advance: { type: 'advance' },
  complete: { type: 'complete' },
  failAuto: { type: 'fail', autoRollback: true, hasRevert: true },
  failNoAuto: { type: 'fail', autoRollback: false, hasRevert: true },
  failNoRevert: { type: 'fail', autoRollback: true, hasRevert: false },
  pause: { type: 'pause' },
  resume: { type: 'resume' },
  rollback: { type: 'rollback', hasRevert: true },
  rollbackNoRevert: { type: 'rollback', hasRevert: false },
  rolledBack: { type: 'rolled_back' },
  superseded: { type: 'superseded' },
} as const satisfies Record<string, RolloutEvent>;

type Ev = keyof typeof E;

// Every (state, event) pair: the next state, or the error message it must give.
const TABLE: Record<RolloutState, Record<Ev, RolloutState | RegExp>> = {
  running: {
    advance: 'running', complete: 'completed', failAuto: 'rolling_back', failNoAuto: 'paused', failNoRevert: 'paused',
    pause: 'paused', resume: 'running', rollback: 'rolling_back', rollbackNoRevert: /no pre-signed revert release/,
    rolledBack: /only a rollout that is rolling back/, superseded: 'superseded',
  },
  paused: {
    advance: /cannot advance a rollout that is paused: resume it first/, complete: /resume it first/, failAuto: /only a running rollout is gated/,
    failNoAuto: /only a running/, failNoRevert: /only a running/, pause: 'paused', resume: 'running', rollback: 'rolling_back',
    rollbackNoRevert: /no pre-signed revert/, rolledBack: /^.*cannot finish rolling back a rollout that is paused: only a rollout that is rolling back/, superseded: 'superseded',
  },
  rolling_back: {
    advance: /rolling back: only a running rollout moves/, complete: /only a running/, failAuto: /gated/, failNoAuto: /gated/, failNoRevert: /gated/,
    pause: /only a running rollout can be paused/, resume: /only a paused rollout can be resumed/, rollback: 'rolling_back',
    rollbackNoRevert: 'rolling_back', rolledBack: 'rolled_back', superseded: 'superseded',
  },
  rolled_back: {
    advance: /only a running/, complete: /only a running/, failAuto: /gated/, failNoAuto: /gated/, failNoRevert: /gated/,
    pause: /can be paused/, resume: /cannot resume a rollout that is rolled back/, rollback: /cannot roll back a rollout that is rolled back: it is over/, rollbackNoRevert: /it is over/,
    rolledBack: /only a rollout that is rolling back/, superseded: 'superseded',
  },
  completed: {
    advance: /only a running/, complete: /cannot complete a rollout that is completed/, failAuto: /gated/, failNoAuto: /gated/, failNoRevert: /gated/,
    pause: /can be paused/, resume: /cannot resume a rollout that is completed: only a paused rollout can be resumed/,
    rollback: /every host runs the new release; publish/, rollbackNoRevert: /every host runs/, rolledBack: /rolling back/, superseded: 'superseded',
  },
  superseded: {
    advance: /only a running/, complete: /only a running/, failAuto: /gated/, failNoAuto: /gated/, failNoRevert: /gated/,
    pause: /can be paused/, resume: /can be resumed/, rollback: /it is over/, rollbackNoRevert: /it is over/,
    rolledBack: /rolling back/, superseded: /cannot supersede a rollout that is superseded: it is already superseded/,
  },
};

test('transition: every state x event', () => {
  assert.deepEqual(Object.keys(TABLE).sort(), [...ROLLOUT_STATES].sort());
  for (const state of ROLLOUT_STATES) {
    for (const [ev, want] of Object.entries(TABLE[state]) as [Ev, RolloutState | RegExp][]) {
      const label = `${state} + ${ev}`;
      if (typeof want === 'string') {
        assert.equal(transition(state, E[ev]), want, label);
      } else {
        assert.throws(
          () => transition(state, E[ev]),
          (e: unknown) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE') && e.status === 409 && want.test(e.message),
          label,
        );
      }
    }
  }
});

test('isSettledState', () => {
  assert.deepEqual(ROLLOUT_STATES.filter(isSettledState), ['rolled_back', 'completed', 'superseded']);
});

test('desiredRelease: table', () => {
  // P = 4, R = 5, revert = 6 (content of 4); rollout at wave index 1.
  const r = (state: RolloutState, over: Partial<RolloutTarget> = {}): RolloutTarget => ({ state, currentWave: 1, release: 5, previousRelease: 4, revertRelease: 6, ...over });
  const cases: [string, RolloutTarget, number | undefined, number | null][] = [
    ['running, canary host', r('running'), 0, 5],
    ['running, host of the current wave', r('running'), 1, 5],
    ['running, host of a later wave', r('running'), 2, 4],
    ['running, host without a wave', r('running'), undefined, 4],
    ['paused keeps what moved', r('paused'), 1, 5],
    ['paused does not move more', r('paused'), 2, 4],
    ['completed, any host', r('completed', { currentWave: 2 }), 2, 5],
    ['completed, host without a wave', r('completed', { currentWave: 2 }), undefined, 5],
    ['rolling back, moved host gets the revert', r('rolling_back'), 0, 6],
    ['rolling back, unmoved host stays', r('rolling_back'), 2, 4],
    ['rolling back, host without a wave', r('rolling_back'), undefined, 4],
    ['rolled back, moved host', r('rolled_back'), 1, 6],
    ['rolled back, unmoved host', r('rolled_back'), 2, 4],
    ['first publish, host not reached', r('running', { previousRelease: null, revertRelease: null }), 2, null],
    ['first publish, host reached', r('running', { previousRelease: null, revertRelease: null }), 0, 5],
    ['first publish rolled back, unmoved', r('rolled_back', { previousRelease: null }), 2, null],
  ];
  for (const [name, rollout, hostWave, want] of cases) assert.equal(desiredRelease({ rollout, hostWave }), want, name);

  assert.throws(() => desiredRelease({ rollout: r('superseded'), hostWave: 0 }), (e: unknown) => isVigiaError(e, 'CONTROL_ERR_ROLLOUT_STATE') && /superseded/.test(e.message));
  assert.throws(() => desiredRelease({ rollout: r('rolling_back', { revertRelease: null }), hostWave: 0 }), /no revert release/);
});
