import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeFailureBand, doraMetrics, frequencyBand, leadTimeBand, restoreBand } from './dora.js';

const H = 3_600_000;

test('doraMetrics: distinct deploys, medians, bands (worked by hand)', () => {
  const deploys = [
    { id: 'd1', team: 'a', status: 'success' as const, commitAt: 0, deployAt: 2 * H },
    { id: 'd2', team: 'a', status: 'failure' as const, commitAt: 0, deployAt: 3 * H },
    { id: 'd2', team: 'a', status: 'failure' as const, commitAt: 0, deployAt: 3 * H }, // duplicate row: once
    { id: 'd3', team: 'b', status: 'success' as const, commitAt: 10 * H, deployAt: 16 * H },
    { id: 'd4', team: 'b', status: 'success' as const, commitAt: 20 * H, deployAt: 50 * H },
  ];
  const incidents = [{ openedAt: 0, closedAt: 2 * H }, { openedAt: 0, closedAt: 30 * H }, { openedAt: 0, closedAt: 4 * H }, { openedAt: 5, closedAt: null }];
  const m = doraMetrics(deploys, incidents, 2 * 86_400_000);
  assert.deepEqual([m.deploys, m.successfulDeploys, m.failedDeploys, m.duplicateDeployRows], [4, 3, 1, 1]);
  assert.equal(m.deploysPerDay, 1.5); // 3 successful in 2 days
  assert.equal(m.deploymentFrequencyBand, 'elite');
  assert.equal(m.leadTimeHours.median, 6); // 2, 6, 30
  assert.equal(m.leadTimeBand, 'elite');
  assert.equal(m.changeFailureRate, 0.25); // 1 distinct failed of 4 distinct
  assert.equal(m.changeFailureRateBand, 'low');
  assert.equal(m.timeToRestoreHours.median, 4); // 2, 4, 30
  assert.equal(m.timeToRestoreBand, 'high');
  assert.equal(m.openIncidents, 1);
  const none = doraMetrics([], [], 86_400_000);
  assert.deepEqual([none.changeFailureRate, none.deploymentFrequencyBand, none.leadTimeBand, none.timeToRestoreBand], [null, null, null, null]);
});

test('DORA bands at their edges', () => {
  assert.deepEqual([1, 0.99, 1 / 7, 0.14, 1 / 30, 0.03].map(frequencyBand), ['elite', 'high', 'high', 'medium', 'medium', 'low']);
  assert.deepEqual([23.9, 24, 168, 169, 720, 721].map(leadTimeBand), ['elite', 'high', 'high', 'medium', 'medium', 'low']);
  assert.deepEqual([0.05, 0.051, 0.1, 0.15, 0.151].map(changeFailureBand), ['elite', 'high', 'high', 'medium', 'low']);
  assert.deepEqual([0.9, 1, 23.9, 24, 168, 169].map(restoreBand), ['elite', 'high', 'high', 'medium', 'medium', 'low']);
});

test('no deploys is "no deploys": null rates and no band, never a rate or a median over nothing; per-day over the span given', () => {
  const none = doraMetrics([], [], 30 * 86_400_000);
  assert.equal(none.deploysPerDay, null);
  assert.equal(none.deploymentFrequencyBand, null);
  assert.equal(none.changeFailureRate, null);
  assert.equal(none.leadTimeHours.median, null);
  assert.equal(none.spanDays, 30);
  const d = (id: string, at: number) => ({ id, team: 't', status: 'success' as const, commitAt: at - 3_600_000, deployAt: at });
  // Ten deploys over the 10 days the records cover: one a day, whatever the report period.
  const ten = doraMetrics(Array.from({ length: 10 }, (_, i) => d(`d${i}`, i * 86_400_000)), [], 10 * 86_400_000);
  assert.equal(ten.deploysPerDay, 1);
  assert.equal(ten.spanDays, 10);
});
