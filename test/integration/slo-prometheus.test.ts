/**
 * readPrometheusSeries against a real Prometheus. Six hours of turno's request counter
 * (`vigia_turno_requests_total{route="turno",code="200"|"503"}`, one sample a minute) are
 * backfilled with `promtool tsdb create-blocks-from openmetrics`, with what a live service shows:
 * an error burst, a 503 series that only appears after two hours (prom-client creates label sets
 * lazily), a 10-minute scrape gap followed by a restart (counters back to zero), and a restart in
 * the middle of a step. The SLI read over that window must give, step by step, the bad and total
 * events computed here from what was written, the gap as missing steps (coverage), and the same
 * numbers when the read is split into many range requests.
 *
 * Why the numbers are exact and not "close": `increase()` extrapolates a range's first-to-last
 * delta to the range's edges. Samples fall on every minute and steps are 5 minutes aligned to the
 * minute, so each step's range [t - 5m, t] starts and ends on a sample and there is nothing to
 * extrapolate (Prometheus 2.x, whose range selectors include their left edge). The per-minute
 * increments are also constant within each step, so Prometheus 3.x (left-open ranges: the delta over
 * 4 minutes, extrapolated by 5/4) gives the same numbers. Counter resets are undone by increase().
 * The comparison allows float rounding only (1e-9 relative).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readPrometheusSeries, type PrometheusRatioSli, type PrometheusSourceSpec } from '../../src/slo/sources/prometheus-source.js';
import { requireBinary } from '../support/binaries.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';
import { tempDir } from '../support/tmp.js';

const MIN = 60_000;
const STEP = 5 * MIN;
const WINDOW_MIN = 360; // 72 steps
const STEPS = WINDOW_MIN / 5;
/** Sample minutes, relative to the window start: a little before and after it. */
const FIRST_SAMPLE = -10;
const LAST_SAMPLE = WINDOW_MIN + 10;
/** No samples strictly between these minutes (scrapes failed; turno restarted at the end). */
const GAP: readonly [number, number] = [200, 210];
/** turno restarted between the scrapes of minute 301 and 302. */
const RESTART_IN_STEP = 302;
/** The 503 series first appears at this minute, at 0. */
const FIVE_XX_FROM = 120;

/** Step of the increment that lands in the sample of minute m: step i ends on minute 5(i+1). */
const stepOfMinute = (m: number): number => Math.floor((m - 1) / 5);
/** Requests per minute, constant within a step. */
const rate200 = (i: number): number => 100 + (((i * 37) % 50) + 50) % 50;
const rate503 = (i: number): number => (i >= 30 && i <= 35 ? 40 : ((i % 3) + 3) % 3);

interface Expected {
  readonly total: number[];
  readonly bad: number[];
  readonly present: number[];
  /** Steps where the bad query has no data but the total has (before the 503 series exists). */
  readonly badMissing: number;
}

/** Write the OpenMetrics history; return what the SLI must read from it. */
function writeHistory(file: string, startMs: number): Expected {
  const sec = (m: number): number => (startMs + m * MIN) / 1000;
  const lines = ['# HELP vigia_turno_requests HTTP requests answered, by route and status code.', '# TYPE vigia_turno_requests counter'];
  const inGap = (m: number): boolean => m > GAP[0] && m < GAP[1];
  // 200s: one series, all its samples in time order.
  let v = 1_000_000;
  for (let m = FIRST_SAMPLE; m <= LAST_SAMPLE; m++) {
    const inc = rate200(stepOfMinute(m));
    if (m === GAP[1]) v = 7; // restarted during the gap: 7 requests before the first scrape
    else if (m === RESTART_IN_STEP) v = inc; // restarted, counting from 0 again
    else v += inc;
    if (!inGap(m)) lines.push(`vigia_turno_requests_total{route="turno",code="200"} ${v} ${sec(m)}`);
  }
  let e = 0;
  for (let m = FIVE_XX_FROM; m <= LAST_SAMPLE; m++) {
    const inc = m === FIVE_XX_FROM ? 0 : rate503(stepOfMinute(m));
    if (m === GAP[1]) e = 0;
    else if (m === RESTART_IN_STEP) e = inc;
    else e += inc;
    if (!inGap(m)) lines.push(`vigia_turno_requests_total{route="turno",code="503"} ${e} ${sec(m)}`);
  }
  lines.push('# EOF', '');
  writeFileSync(file, lines.join('\n'));

  const total: number[] = [];
  const bad: number[] = [];
  const present: number[] = [];
  let badMissing = 0;
  for (let i = 0; i < STEPS; i++) {
    // Steps whose range [5i, 5i+5] holds fewer than two samples have no increase() at all.
    const gapStep = 5 * i >= GAP[0] && 5 * (i + 1) <= GAP[1];
    const fiveXX = 5 * i >= FIVE_XX_FROM ? 5 * rate503(i) : 0;
    if (5 * i < FIVE_XX_FROM && !gapStep) badMissing++;
    present.push(gapStep ? 0 : 1);
    total.push(gapStep ? 0 : 5 * rate200(i) + fiveXX);
    bad.push(gapStep ? 0 : fiveXX);
  }
  return { total, bad, present, badMissing };
}

const tmp = tempDir('vigia-slo-prom-');
let prom: ChildProcess | undefined;
let exited: Promise<void> | undefined;
let promLog = '';
let source: PrometheusSourceSpec;
let from = 0;
let expected: Expected;

before(async () => {
  // Whole hours, in the past: the window ends more than an hour before now, so its blocks never
  // overlap Prometheus' head.
  from = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 8 * 3_600_000;
  const om = join(tmp.dir, 'history.om');
  const data = join(tmp.dir, 'data');
  expected = writeHistory(om, from);
  const backfill = spawnSync(requireBinary('promtool'), ['tsdb', 'create-blocks-from', 'openmetrics', om, data], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(backfill.status, 0, `promtool: ${backfill.stdout}${backfill.stderr}`);

  const config = join(tmp.dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1m\n'); // no scrape jobs: the backfill is all there is
  const port = await freePort();
  const child = spawn(
    requireBinary('prometheus'),
    [`--config.file=${config}`, `--storage.tsdb.path=${data}`, '--storage.tsdb.retention.time=10y', `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: tmp.dir },
  );
  prom = child;
  exited = new Promise((r) => child.once('exit', () => r()));
  child.stderr!.on('data', (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'Prometheus /-/ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${promLog}`);
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    },
    60_000,
    200,
  );
  source = { kind: 'prometheus', name: 'turno-prom', url, stepMs: STEP };
});

after(async () => {
  if (prom && prom.exitCode === null && prom.signalCode === null) {
    prom.kill('SIGTERM');
    const t = setTimeout(() => prom!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  tmp.remove();
});

const Q_TOTAL = 'sum(increase(vigia_turno_requests_total{route="turno"}[{{.window}}]))';
const Q_BAD = 'sum(increase(vigia_turno_requests_total{route="turno",code=~"5.."}[{{.window}}]))';
const Q_GOOD = 'sum(increase(vigia_turno_requests_total{route="turno",code!~"5.."}[{{.window}}]))';

/** Equal up to float rounding. */
function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);
}

const sum = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0);

function checkSteps(got: { total: Float64Array; serverErrors: Float64Array }, present: Uint8Array): void {
  assert.deepEqual([...present], expected.present, 'steps with data');
  for (let i = 0; i < STEPS; i++) {
    close(got.total[i]!, expected.total[i]!, `total events of step ${i}`);
    close(got.serverErrors[i]!, expected.bad[i]!, `bad events of step ${i}`);
  }
  close(sum(got.total), sum(expected.total), 'total events in the window');
  close(sum(got.serverErrors), sum(expected.bad), 'bad events in the window');
}

test('ratio SLI (bad/total) read from a real Prometheus equals the backfilled history, step by step', { timeout: 60_000 }, async () => {
  const sli: PrometheusRatioSli = { kind: 'prometheus-ratio', totalQuery: Q_TOTAL, badQuery: Q_BAD };
  const got = await readPrometheusSeries(source, sli, { from, to: from + WINDOW_MIN * MIN }, { timeoutMs: 30_000 });
  checkSteps(got.series, got.present);
  // The burst (steps 30-35, 40 errors a minute) and the rest are in the data as written.
  assert.equal(got.series.serverErrors[32], 200);
  assert.equal(got.series.rows, STEPS - 2);
  assert.equal(got.coverage, (STEPS - 2) / STEPS);
  const w = got.warnings.join('\n');
  assert.match(w, new RegExp(`badQuery had no data in ${expected.badMissing} step\\(s\\) where totalQuery had; counted as 0 bad events`));
  assert.match(w, new RegExp(`no data for 2 of ${STEPS} steps .* the first gap from ${new Date(from + GAP[0] * MIN).toISOString()} to ${new Date(from + GAP[1] * MIN).toISOString()}`));
  assert.equal(got.warnings.length, 2, w);
});

test('ratio SLI (good/total) gives the same bad events; so does the bad/total read in 7-point requests', { timeout: 60_000 }, async () => {
  const good = await readPrometheusSeries(source, { kind: 'prometheus-ratio', totalQuery: Q_TOTAL, goodQuery: Q_GOOD }, { from, to: from + WINDOW_MIN * MIN }, { timeoutMs: 30_000 });
  checkSteps(good.series, good.present);
  const progress: number[] = [];
  const chunked = await readPrometheusSeries(
    source,
    { kind: 'prometheus-ratio', totalQuery: Q_TOTAL, badQuery: Q_BAD },
    { from, to: from + WINDOW_MIN * MIN },
    { timeoutMs: 30_000, maxPointsPerQuery: 7, onProgress: (p) => progress.push(p.done) },
  );
  assert.equal(progress.at(-1), 2 * Math.ceil(STEPS / 7));
  checkSteps(chunked.series, chunked.present);
});

test('raw SLI (an error-ratio query) has data only where both sides have series, and equals bad/total there', { timeout: 60_000 }, async () => {
  const got = await readPrometheusSeries(source, { kind: 'prometheus-raw', errorRatioQuery: `(${Q_BAD}) / (${Q_TOTAL})` }, { from, to: from + WINDOW_MIN * MIN }, { timeoutMs: 30_000 });
  for (let i = 0; i < STEPS; i++) {
    const want = expected.present[i] === 1 && 5 * i >= FIVE_XX_FROM;
    assert.equal(got.errorRatio.present[i], want ? 1 : 0, `step ${i} has data`);
    if (want) close(got.errorRatio.errorRatio[i]!, expected.bad[i]! / expected.total[i]!, `error ratio of step ${i}`);
  }
  assert.equal(got.coverage, (STEPS - 2 - expected.badMissing) / STEPS);
});

test('the real 11,000-point limit: one 12,000-point request is refused, the chunked read of the same range is whole', { timeout: 60_000 }, async () => {
  const steps = 12_000; // one-second steps over 3 h 20 min, all before the gap
  const body = new URLSearchParams({ query: 'vector(1)', start: String((from + 1000) / 1000), end: String((from + steps * 1000) / 1000), step: '1' });
  const res = await fetch(`${source.url}/api/v1/query_range`, { method: 'POST', body, signal: AbortSignal.timeout(30_000) });
  const refused = (await res.json()) as { status: string; error: string };
  assert.equal(res.status, 400);
  assert.equal(refused.status, 'error');
  assert.match(refused.error, /exceeded maximum resolution of 11,000 points/);

  // A sample within the 5-minute lookback exists at every second of the range: every step has data.
  const got = await readPrometheusSeries(
    source,
    { kind: 'prometheus-raw', errorRatioQuery: 'count(vigia_turno_requests_total{route="turno",code="200"}) * 0' },
    { from, to: from + steps * 1000 },
    { stepMs: 1000, timeoutMs: 30_000 },
  );
  assert.equal(got.errorRatio.present.length, steps);
  assert.equal(got.coverage, 1, got.warnings.join('\n'));
  assert.equal(sum(got.errorRatio.errorRatio), 0);
  assert.deepEqual(got.warnings, []);
});

test('vigia slo report over the Prometheus source: the SLO value is the backfilled bad/total, with the gap as coverage', { timeout: 60_000 }, async () => {
  const { makeReport } = await import('../../src/slo/report/run-report.js');
  const spec = join(tmp.dir, 'turno-slo.yaml');
  writeFileSync(spec, [
    `apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\nspec: {type: Prometheus, connectionDetails: {url: "${source.url}", step: 5m}}`,
    'apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: turno-answers}\nspec:\n  service: turno\n  budgetingMethod: Occurrences\n  timeWindow: [{duration: 30d, isRolling: true}]\n'
      + '  indicator:\n    metadata: {name: turno-5xx}\n    spec:\n      ratioMetric:\n        counter: true\n'
      + `        bad: {metricSource: {metricSourceRef: prom, type: Prometheus, spec: {query: '${Q_BAD}'}}}\n`
      + `        total: {metricSource: {metricSourceRef: prom, type: Prometheus, spec: {query: '${Q_TOTAL}'}}}\n`
      + '  objectives: [{displayName: answers without 5xx, target: 0.99}]',
  ].join('\n---\n'));
  const period = { from, to: from + WINDOW_MIN * MIN, label: 'six hours', timeZone: 'UTC' };
  const report = await makeReport({ specPaths: [spec], period, now: Date.now(), env: {} });
  assert.equal(report.entries.length, 1);
  const e = report.entries[0]!;
  const bad = sum(expected.bad);
  const total = sum(expected.total);
  close(e.value!, 1 - bad / total, 'SLI = 1 - bad/total over the window');
  close(e.natural.consumed, bad, 'failed requests');
  assert.equal(e.met, 1 - bad / total >= 0.99);
  assert.equal(e.unit, '%');
  // The scrape gap is in the coverage and in the SLO's notes, not silently counted as good time.
  assert.equal(e.coverage, (STEPS - 2) / STEPS);
  assert.ok(e.notes.some((n) => n.includes('no data for 2 of 72 steps')), e.notes.join('\n'));
});
