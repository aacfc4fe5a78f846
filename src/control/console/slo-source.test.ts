import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { createSloRunner, parseReportOutput, reportArgs, runError } from './slo-source.js';

test('report arguments: a period or a duration, never anything else', () => {
  assert.deepEqual(reportArgs(['a', 'b'], '2025', 'UTC'), ['slo', 'report', '--period', '2025', '--tz', 'UTC', '--format', 'json', '--quiet', '--spec', 'a', 'b']);
  assert.deepEqual(reportArgs(['a'], '365d', 'UTC').slice(2, 4), ['--last', '365d']);
  for (const ok of ['2025-Q3', '2025-03', '2025-01-01..2025-07-01', '12w']) assert.doesNotThrow(() => reportArgs(['a'], ok, 'UTC'), ok);
  for (const bad of ['--format=text', '2025 --out x', '', 'last year', '2025-01-01..']) {
    assert.throws(() => reportArgs(['a'], bad, 'UTC'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG'), bad);
  }
});

test('a failed run shows the child\'s own catalogued line, once; otherwise CONTROL_ERR_SLO_REPORT', () => {
  const e1 = runError('slo: reading csv\nvigia: SLO_ERR_SOURCE_UNAVAILABLE: an SLO data source could not be read: db down\n', 'exited with 2');
  assert.equal(e1.code, 'SLO_ERR_SOURCE_UNAVAILABLE');
  assert.equal(e1.message, 'an SLO data source could not be read: db down');
  const e2 = runError('Segmentation fault\n', 'was killed (SIGSEGV)');
  assert.equal(e2.code, 'CONTROL_ERR_SLO_REPORT');
  assert.match(e2.message, /was killed \(SIGSEGV\): Segmentation fault$/);
  assert.equal(runError('vigia: NOT_ERR_A_CODE: x\n', 'exited with 2').code, 'CONTROL_ERR_SLO_REPORT');
});

test('output that is not a v1 report is refused with the field named', () => {
  assert.throws(() => parseReportOutput('slo: hello'), (e) => isVigiaError(e, 'CONTROL_ERR_SLO_REPORT') && /did not print JSON/.test((e as Error).message));
  assert.throws(() => parseReportOutput('{"schema":"vigia.slo.report/v2"}'), (e) => isVigiaError(e, 'CONTROL_ERR_SLO_REPORT') && /schema/.test((e as Error).message));
});

test('a run past its deadline is killed, and a missing program is a message; failures are cached briefly', async () => {
  let now = 0;
  const slow = createSloRunner({ command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)', '--'], specPaths: ['x'], period: '2025', timeoutMs: 300, now: () => now });
  await assert.rejects(slow.report(), (e) => isVigiaError(e, 'CONTROL_ERR_SLO_REPORT') && /took more than/.test((e as Error).message));
  const missing = createSloRunner({ command: ['/nonexistent/vigia'], specPaths: ['x'], period: '2025', now: () => now });
  const first = missing.report();
  await assert.rejects(first, (e) => isVigiaError(e, 'CONTROL_ERR_SLO_REPORT') && /could not start/.test((e as Error).message));
  assert.equal(missing.report(), first, 'the failure is reused for a while');
  now += 60_000;
  const again = missing.report();
  assert.notEqual(again, first, 'and tried again after it');
  await assert.rejects(again);
});
