import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentMetrics } from './agent-metrics.js';
import { parseExposition } from './node-metrics.js';

test('agent metrics render valid exposition with counts, histogram buckets and process metrics', () => {
  const m = new AgentMetrics({ staleMounts: () => 2, stuckStatfsThreads: () => 1 });
  m.observeRequest('/v1/devices', 200, 0.0007);
  m.observeRequest('/v1/devices', 200, 0.003);
  m.observeRequest('/v1/devices', 401, 0.0001);
  m.observeRequest('we"ird\\route', 404, 7);
  const text = m.render();
  const { samples, errors } = parseExposition(text);
  assert.deepEqual(errors, []);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(value('vigia_agent_http_requests_total', { route: '/v1/devices', code: '200' }), 2);
  assert.equal(value('vigia_agent_http_requests_total', { route: '/v1/devices', code: '401' }), 1);
  assert.equal(value('vigia_agent_http_request_duration_seconds_bucket', { route: '/v1/devices', le: '0.0005' }), 1);
  assert.equal(value('vigia_agent_http_request_duration_seconds_bucket', { route: '/v1/devices', le: '0.001' }), 2);
  assert.equal(value('vigia_agent_http_request_duration_seconds_bucket', { route: '/v1/devices', le: '+Inf' }), 3);
  assert.equal(value('vigia_agent_http_request_duration_seconds_bucket', { route: 'we"ird\\route', le: '5' }), 0);
  assert.equal(value('vigia_agent_http_request_duration_seconds_count', { route: 'we"ird\\route' }), 1);
  assert.equal(value('vigia_agent_stale_mounts'), 2);
  assert.equal(value('vigia_agent_statfs_stuck_threads'), 1);
  assert.ok(value('process_resident_memory_bytes')! > 1e6);
  assert.ok(value('process_cpu_seconds_total')! > 0);
  assert.ok(value('process_open_fds')! > 2);
});

test('report metrics appear only when reporting is on, with every outcome', () => {
  assert.ok(!new AgentMetrics({ staleMounts: () => 0, stuckStatfsThreads: () => 0 }).render().includes('vigia_agent_report'));
  const m = new AgentMetrics({ staleMounts: () => 0, stuckStatfsThreads: () => 0, reports: () => ({ spoolFiles: 3, spoolBytes: 12_345, lastSuccessSeconds: 1_796_000_000.5 }) });
  m.countReports('delivered');
  m.countReports('delivered');
  m.countReports('dropped', 4);
  const { samples, errors } = parseExposition(m.render());
  assert.deepEqual(errors, []);
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(value('vigia_agent_reports_total', { outcome: 'delivered' }), 2);
  assert.equal(value('vigia_agent_reports_total', { outcome: 'spooled' }), 0);
  assert.equal(value('vigia_agent_reports_total', { outcome: 'dropped' }), 4);
  assert.equal(value('vigia_agent_report_spool_files'), 3);
  assert.equal(value('vigia_agent_report_spool_bytes'), 12_345);
  assert.equal(value('vigia_agent_report_last_success_timestamp_seconds'), 1_796_000_000.5);
});
