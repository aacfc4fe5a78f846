/** Prometheus' own linter on the agent's /metrics: valid exposition, conventions kept. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startAgent } from '../support/agent-process.js';
import { requireBinary } from '../support/binaries.js';

test('promtool check metrics finds nothing but the camelCase node_memory_* names node_exporter itself uses', async () => {
  const promtool = requireBinary('promtool');
  const agent = await startAgent(['--no-mysql-detect', '--no-actions']);
  try {
    await agent.fetch('/v1/devices'); // so the request metrics have samples too
    const { status, text } = await agent.fetch('/metrics');
    assert.equal(status, 200);
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = (r.stdout + r.stderr).split('\n').filter((l) => l.trim() !== '');
    const unexpected = problems.filter((l) => !/^node_memory_\w+ metric names should be written in 'snake_case' not 'camelCase'$/.test(l));
    assert.deepEqual(unexpected, [], 'only the inherited node_exporter names are flagged');
    assert.ok(text.includes('vigia_agent_http_request_duration_seconds_bucket'), 'our own histogram is in the checked text');
  } finally {
    await agent.stop();
  }
});
