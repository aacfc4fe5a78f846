import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTION_PARAMS_SHAPE, BUNDLE_STATUS_SHAPE, bundleStatusSchema, MAX_ACTION_PARAM_LENGTH, MAX_ACTION_PARAMS, MAX_BUNDLE_STATUS_ERROR, MAX_TASK_OUTPUT, TASK_RESULT_SHAPE, taskResultSchema } from './agent-poll.js';
import { HOST_REPORT_SHAPE, MAX_REPORT_CHECKS, MAX_REPORT_DEVICES, MAX_REPORT_DISKS, MAX_REPORT_TEXT, parseHostReport } from './host-report.js';
import { jsonShapeProblem, type JsonShape } from './json-shape.js';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS } from './tags.js';

const shape: JsonShape = { maxDepth: 3, maxKeys: 2, maxItems: 3, maxStringLength: 5 };

test('jsonShapeProblem names the first place past a bound, in the words of schema problems', () => {
  const cases: [unknown, string | undefined][] = [
    [null, undefined],
    [12, undefined],
    ['12345', undefined],
    ['123456', '(body): a string longer than 5'],
    [{ a: 1, b: [1, 2, 3] }, undefined],
    [{ a: 1, b: 2, c: 3 }, '(body): more than 2 keys'],
    [{ a: [1, 2, 3, 4] }, 'a: more than 3 items'],
    [{ a: [1, { b: 'toolong' }] }, 'a.1.b: a string longer than 5'],
    [{ abcdef: 1 }, '(body): a key longer than 5'],
    [{ a: { b: { c: 1 } } }, undefined],
    [{ a: { b: { c: {} } } }, 'a.b.c: nested deeper than 3 levels'],
    [[[[[]]]], '0.0.0: nested deeper than 3 levels'],
  ];
  for (const [value, want] of cases) assert.equal(jsonShapeProblem(value, shape), want, JSON.stringify(value));
});

test('a 20,000-key object is refused having read at most maxKeys of its values', () => {
  let read = 0;
  const wide = new Proxy(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])), {
    get(target, key) {
      read++;
      return Reflect.get(target, key);
    },
  });
  assert.equal(jsonShapeProblem({ tags: wide }, HOST_REPORT_SHAPE), `tags: more than ${HOST_REPORT_SHAPE.maxKeys} keys`);
  assert.ok(read <= HOST_REPORT_SHAPE.maxKeys, `read ${read} values`);
});

const s = (n: number, c = 'x'): string => c.repeat(n);

test('the largest report the schema accepts fits HOST_REPORT_SHAPE (the shape is never stricter than the schema)', () => {
  const report = {
    v: 1,
    host: `h${s(252)}`,
    sampled_at: '2026-12-01T07:00:00.000Z',
    interval_seconds: 60,
    agent: { version: s(64) },
    tags: Object.fromEntries(Array.from({ length: MAX_TAGS }, (_, i) => [`k${String(i).padStart(63, '0')}`, s(MAX_TAG_VALUE_LENGTH)])),
    system: {
      cpu: { user_pct: 1, system_pct: 1, iowait_pct: 1, steal_pct: 0, idle_pct: 97, cpus: 8 },
      load1: 1, load5: 1, load15: 1, mem_total_bytes: 1, mem_used_pct: 1, swap_used_pct: 0, uptime_seconds: 1,
      disks: Array.from({ length: MAX_REPORT_DISKS }, (_, i) => ({ device: `sd${i}`, reads_per_s: 1, writes_per_s: 1, read_bytes_per_s: 1, write_bytes_per_s: 1, await_ms: 1, util_pct: 1 })),
    },
    devices: Array.from({ length: MAX_REPORT_DEVICES }, (_, i) => ({
      mountpoint: `/${String(i).padEnd(MAX_REPORT_TEXT - 1, 'm')}`, device: s(MAX_REPORT_TEXT, 'd'), fstype: 'xfs', role: 'data', read_only: false,
      size_bytes: 1, used_bytes: 1, avail_bytes: 0, use_pct: 100, inodes_total: 1, inodes_used: 1, inode_use_pct: 100, error: s(512),
    })),
    checks: { release: 1, results: Array.from({ length: MAX_REPORT_CHECKS }, (_, i) => ({ name: `c${i}`, state: 'OK', output: s(MAX_REPORT_TEXT), at: '2026-12-01T07:00:00Z', duration_ms: 1 })) },
  };
  assert.equal(jsonShapeProblem(report, HOST_REPORT_SHAPE), undefined);
  const parsed = parseHostReport(report);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.match((parseHostReport({ ...report, tags: { ...report.tags, one_more: 'x' } }) as { problems: string[] }).problems[0]!, /tags: more than 32 keys/);
});

test('the agent API bodies: the largest valid one fits its shape', () => {
  const status = { release: 1, sha256: s(64, 'a'), status: 'failed', error: s(MAX_BUNDLE_STATUS_ERROR) };
  assert.ok(bundleStatusSchema.safeParse(status).success);
  assert.equal(jsonShapeProblem(status, BUNDLE_STATUS_SHAPE), undefined);
  const result = { status: 'failed', exit_code: 1, duration_ms: 1, output: s(MAX_TASK_OUTPUT) };
  assert.ok(taskResultSchema.safeParse(result).success);
  assert.equal(jsonShapeProblem(result, TASK_RESULT_SHAPE), undefined);
  const params = Object.fromEntries(Array.from({ length: MAX_ACTION_PARAMS }, (_, i) => [`p${i}`, s(MAX_ACTION_PARAM_LENGTH)]));
  assert.equal(jsonShapeProblem(params, ACTION_PARAMS_SHAPE), undefined);
  assert.match(jsonShapeProblem({ ...params, one_more: 1 }, ACTION_PARAMS_SHAPE)!, /more than 32 keys/);
});
