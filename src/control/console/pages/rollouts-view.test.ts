import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutView } from '../../rollouts/rollout-service.js';
import { driftTable, rolloutPanel, stepAvailable, stepButtons } from './rollouts-view.js';

const view = (over: Partial<RolloutView> = {}): RolloutView => ({
  id: 7, bundle: 'fleet', release: 4, previousRelease: 3, revertRelease: 5, state: 'running', waves: [10, 100], currentWave: 0,
  perWave: [{ wave: 0, percent: 10, hosts: 2, applied: 1, failed: 0, stuck: 1, neverPolled: 0 }, { wave: 1, percent: 100, hosts: 18, applied: 0, failed: 0, stuck: 0, neverPolled: 0 }],
  hosts: { counted: 20, neverPolled: 0, outside: 0 }, selector: null, empty: false, installFailureRate: 0, checkFailureRate: 0, baselineRate: 0, soakMs: 0, maxFailureRate: 0.05,
  maxStuckRate: 0.05, autoRollback: true, startedAt: '2026-12-01T07:00:00.000Z', updatedAt: '2026-12-01T07:00:00.000Z', settledAt: null, reason: '', ...over,
});

test('steps offered follow the state machine (no no-ops, no rollback without a revert release)', () => {
  const table: Array<[Partial<RolloutView>, string[]]> = [
    [{ state: 'running' }, ['pause', 'rollback']],
    [{ state: 'paused' }, ['resume', 'rollback']],
    [{ state: 'paused', revertRelease: null }, ['resume']],
    [{ state: 'rolling_back' }, []],
    [{ state: 'completed' }, []],
    [{ state: 'superseded' }, []],
  ];
  for (const [over, want] of table) assert.deepEqual((['pause', 'resume', 'rollback'] as const).filter((s) => stepAvailable(s, view(over))), want, JSON.stringify(over));
  assert.equal(stepButtons(view(), false), '', 'no button without the scope');
  assert.match(stepButtons(view({ state: 'running', revertRelease: null }), true), /No pre-signed revert/);
});

test('reasons, selectors and stuck hosts are escaped', () => {
  const x = '<img src=x onerror=alert(1)>';
  const html = rolloutPanel(view({ reason: x, selector: { role: x } }), true) + driftTable([{ release: 4, hosts: 1, stuck: [{ host: x, reason: x, lastSeen: null }] }]);
  assert.ok(!html.includes('<img'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
});
