/**
 * readPrometheusSeries against a small node:http server on 127.0.0.1 that answers like Prometheus'
 * /api/v1/query_range: the request it receives, chunking at the 11,000-point limit (the fake refuses
 * more, as Prometheus does), summed series, gaps, and every way a request can fail.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import {
  MAX_POINTS_PER_QUERY,
  parseQueryRangeAnswer,
  planChunks,
  readPrometheusSeries,
  type PrometheusRatioSli,
  type PrometheusRawSli,
  type PrometheusSourceSpec,
} from './prometheus-source.js';

interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly params: URLSearchParams;
}

/** The range of a request, as Prometheus reads it. */
interface Range {
  readonly query: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  /** Evaluation times, start + k × step ≤ end. */
  readonly times: number[];
}

type Handler = (range: Range, res: ServerResponse) => void;

const servers: Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A fake Prometheus; `handler` answers well-formed range requests (the fake checks the rest). */
async function fakeProm(handler: Handler): Promise<{ url: string; seen: SeenRequest[]; server: Server }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, params });
      const startMs = Math.round(Number(params.get('start')) * 1000);
      const endMs = Math.round(Number(params.get('end')) * 1000);
      const stepMs = Math.round(Number(params.get('step')) * 1000);
      if (!(stepMs > 0) || endMs < startMs) return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'bad range' });
      // Prometheus refuses (end - start) / step > 11000; the fake is stricter by one point so an
      // off-by-one in the chunking cannot hide.
      if ((endMs - startMs) / stepMs + 1 > MAX_POINTS_PER_QUERY) {
        return sendJson(res, 400, { status: 'error', errorType: 'bad_data', error: 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)' });
      }
      const times: number[] = [];
      for (let t = startMs; t <= endMs; t += stepMs) times.push(t);
      handler({ query: params.get('query') ?? '', startMs, endMs, stepMs, times }, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * Answer with one series per entry of `series`: each gives the value at an evaluation time, or
 * undefined for no point (Prometheus leaves the point out).
 */
function matrix(res: ServerResponse, range: Range, series: Array<(tMs: number) => number | string | undefined>, warnings?: string[]): void {
  const result = series.map((f, k) => ({
    metric: { code: String(200 + k) },
    values: range.times.flatMap((t) => {
      const v = f(t);
      return v === undefined ? [] : [[t / 1000, String(v)]];
    }),
  }));
  sendJson(res, 200, { status: 'success', data: { resultType: 'matrix', result }, ...(warnings ? { warnings } : {}) });
}

const FROM = Date.UTC(2025, 2, 1, 0, 0, 0);
const MIN = 60_000;
const STEP = 5 * MIN;
/** Index of the step that a point evaluated at `tMs` (its end) closes. */
const stepIndex = (tMs: number, stepMs = STEP): number => (tMs - FROM) / stepMs - 1;

const source = (url: string, extra: Partial<PrometheusSourceSpec> = {}): PrometheusSourceSpec => ({ kind: 'prometheus', name: 'prom', url, ...extra });
const BAD_SLI: PrometheusRatioSli = {
  kind: 'prometheus-ratio',
  totalQuery: 'sum(increase(vigia_turno_requests_total[{{.window}}]))',
  badQuery: 'sum(increase(vigia_turno_requests_total{code=~"5.."}[{{ .window }}]))',
};
const isTotal = (r: Range): boolean => !r.query.includes('5..');

test('request: POST form to <url>/api/v1/query_range with the query rendered for the step, start/end at step ends, step in seconds, bearer token', async () => {
  const prom = await fakeProm((r, res) => matrix(res, r, [() => 1]));
  const got = await readPrometheusSeries(source(`${prom.url}/prom`), BAD_SLI, { from: FROM, to: FROM + 60 * MIN }, { bearerToken: 't0k' });
  assert.equal(prom.seen.length, 2);
  const [total, bad] = prom.seen;
  for (const s of [total!, bad!]) {
    assert.equal(s.method, 'POST');
    assert.equal(s.path, '/prom/api/v1/query_range');
    assert.equal(s.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(s.headers.authorization, 'Bearer t0k');
    // Step i covers [FROM + 5 i min, FROM + 5 (i+1) min) and is evaluated at its end.
    assert.equal(s.params.get('start'), String((FROM + STEP) / 1000));
    assert.equal(s.params.get('end'), String((FROM + 60 * MIN) / 1000));
    assert.equal(s.params.get('step'), '300');
  }
  assert.equal(total!.params.get('query'), 'sum(increase(vigia_turno_requests_total[5m]))');
  assert.equal(bad!.params.get('query'), 'sum(increase(vigia_turno_requests_total{code=~"5.."}[5m]))');
  assert.equal(got.series.total.length, 12);
  assert.equal(got.series.bucketMs, STEP);
  assert.equal(got.series.startMs, FROM);
});

test('request: the DataSource step is the default, the option wins over it; credentials in the URL become a Basic header', async () => {
  const prom = await fakeProm((r, res) => matrix(res, r, [() => 1]));
  const withCreds = prom.url.replace('http://', 'http://alice:s%3Acret@');
  const a = await readPrometheusSeries(source(withCreds, { stepMs: MIN }), BAD_SLI, { from: FROM, to: FROM + 60 * MIN });
  assert.equal(a.series.total.length, 60);
  assert.equal(prom.seen[0]!.params.get('step'), '60');
  assert.equal(prom.seen[0]!.params.get('query'), 'sum(increase(vigia_turno_requests_total[1m]))');
  assert.equal(prom.seen[0]!.headers.authorization, `Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
  await readPrometheusSeries(source(prom.url, { stepMs: MIN }), BAD_SLI, { from: FROM, to: FROM + 60 * MIN }, { stepMs: 30 * MIN });
  assert.equal(prom.seen[2]!.params.get('step'), '1800');
  assert.equal(prom.seen[2]!.params.get('query'), 'sum(increase(vigia_turno_requests_total[30m]))');
  assert.equal(prom.seen[2]!.headers.authorization, undefined);
});

test('ratio with a bad query: events per step, several returned series summed, client errors zero, full coverage', async () => {
  // The total query "forgot" its sum(): two series per step (200s and 500s); the bad query three.
  const prom = await fakeProm((r, res) =>
    isTotal(r)
      ? matrix(res, r, [(t) => 100 + stepIndex(t), (t) => stepIndex(t) % 4])
      : matrix(res, r, [(t) => (stepIndex(t) % 4) / 2, (t) => (stepIndex(t) % 4) / 4, (t) => (stepIndex(t) % 4) / 4]),
  );
  const got = await readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + 120 * MIN });
  assert.equal(got.kind, 'prometheus-ratio');
  const n = 24;
  assert.deepEqual([...got.series.total], Array.from({ length: n }, (_, i) => 100 + i + (i % 4)));
  assert.deepEqual([...got.series.serverErrors], Array.from({ length: n }, (_, i) => i % 4));
  assert.deepEqual([...got.series.clientErrors], new Array(n).fill(0));
  assert.deepEqual([...got.present], new Array(n).fill(1));
  assert.equal(got.series.badByCodeMonth.size, 0);
  assert.equal(got.series.rows, n);
  assert.equal(got.coverage, 1);
  assert.deepEqual(got.warnings, []);
});

test('ratio with a good query: bad = total - good; a step without good data is no data, not all bad', async () => {
  const sli: PrometheusRatioSli = { kind: 'prometheus-ratio', totalQuery: 'sum(increase(t[{{.window}}]))', goodQuery: 'sum(increase(g[{{.window}}]))' };
  const prom = await fakeProm((r, res) =>
    r.query.startsWith('sum(increase(t[')
      ? matrix(res, r, [(t) => 50 + stepIndex(t)])
      : matrix(res, r, [(t) => (stepIndex(t) === 2 ? undefined : 50 + stepIndex(t) - (stepIndex(t) % 3))]),
  );
  const got = await readPrometheusSeries(source(prom.url), sli, { from: FROM, to: FROM + 30 * MIN });
  assert.deepEqual([...got.present], [1, 1, 0, 1, 1, 1]);
  assert.deepEqual([...got.series.total], [50, 51, 0, 53, 54, 55]);
  assert.deepEqual([...got.series.serverErrors], [0, 1, 0, 0, 1, 2]);
  assert.equal(got.series.rows, 5);
  assert.equal(got.coverage, 5 / 6);
  assert.ok(got.warnings.some((w) => /goodQuery had no data in 1 step\(s\) where totalQuery had; those steps count as no data/.test(w)), got.warnings.join('\n'));
});

test('gaps: steps without total are no data (coverage, present mask, zeros not NaN); a missing bad series counts 0 bad, with a warning', async () => {
  // Total missing at steps 3 and 4 (scrapes failed); the 5xx series only exists from step 6 on.
  const prom = await fakeProm((r, res) =>
    isTotal(r) ? matrix(res, r, [(t) => ([3, 4].includes(stepIndex(t)) ? undefined : 10)]) : matrix(res, r, stepIndex(r.endMs) >= 6 ? [(t) => (stepIndex(t) >= 6 ? 2 : undefined)] : []),
  );
  const got = await readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + 60 * MIN });
  assert.deepEqual([...got.present], [1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...got.series.total], [10, 10, 10, 0, 0, 10, 10, 10, 10, 10, 10, 10]);
  assert.deepEqual([...got.series.serverErrors], [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2]);
  assert.ok(got.series.total.every((v) => Number.isFinite(v)));
  assert.equal(got.coverage, 10 / 12);
  assert.equal(got.series.rows, 10);
  const w = got.warnings.join('\n');
  assert.match(w, /no data for 2 of 12 steps \(16\.7 %\), the first gap from 2025-03-01T00:15:00\.000Z to 2025-03-01T00:25:00\.000Z/);
  assert.match(w, /badQuery had no data in 4 step\(s\) where totalQuery had; counted as 0 bad events/);
});

test('NaN and infinite values are no data; bad above total is clamped; off-grid points ignored; Prometheus warnings passed on', async () => {
  const prom = await fakeProm((r, res) =>
    isTotal(r)
      ? matrix(res, r, [(t) => (stepIndex(t) === 0 ? 'NaN' : stepIndex(t) === 1 ? '+Inf' : 10)], ['query touched 1 partial block'])
      : (() => {
          const body = { status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [...r.times.map((t) => [t / 1000, stepIndex(t) === 2 ? '10.5' : '1']), [(r.times[0]! + 1234) / 1000, '7']] }] } };
          sendJson(res, 200, body);
        })(),
  );
  const got = await readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + 20 * MIN });
  assert.deepEqual([...got.present], [0, 0, 1, 1]);
  assert.deepEqual([...got.series.total], [0, 0, 10, 10]);
  assert.deepEqual([...got.series.serverErrors], [0, 0, 10, 1]);
  const w = got.warnings.join('\n');
  assert.match(w, /totalQuery gave 2 NaN or infinite value\(s\)/);
  assert.match(w, /badQuery gave 1 point\(s\) off the step grid/);
  assert.match(w, /in 1 step\(s\) the bad events fell outside 0\.\.total/);
  assert.match(w, /badQuery had data in 2 step\(s\) where totalQuery had none/);
  assert.match(w, /Prometheus warns: query touched 1 partial block/);
});

test('chunking: 25,000 one-minute steps are read in 11,000-point requests, contiguous and aligned, every step once', async () => {
  const prom = await fakeProm((r, res) => (isTotal(r) ? matrix(res, r, [(t) => stepIndex(t, MIN) * 2]) : matrix(res, r, [(t) => stepIndex(t, MIN) % 7])));
  const progress: string[] = [];
  const n = 25_000;
  const got = await readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + n * MIN }, { stepMs: MIN, onProgress: (p) => progress.push(`${p.done}/${p.total}`) });
  assert.deepEqual(progress, ['0/6', '1/6', '2/6', '3/6', '4/6', '5/6', '6/6']);
  const totals = prom.seen.filter((s) => !s.params.get('query')!.includes('5..'));
  const ranges = totals.map((s) => [Number(s.params.get('start')) * 1000, Number(s.params.get('end')) * 1000]);
  assert.deepEqual(ranges, [
    [FROM + MIN, FROM + 11_000 * MIN],
    [FROM + 11_001 * MIN, FROM + 22_000 * MIN],
    [FROM + 22_001 * MIN, FROM + 25_000 * MIN],
  ]);
  assert.equal(got.coverage, 1);
  for (let i = 0; i < n; i++) {
    if (got.series.total[i] !== i * 2 || got.series.serverErrors[i] !== i % 7) assert.fail(`step ${i}: total ${got.series.total[i]}, bad ${got.series.serverErrors[i]}`);
  }
  assert.deepEqual(got.warnings, []);
});

test('planChunks: exactly 11,000 steps is one request, 11,001 two; a smaller limit splits further', () => {
  assert.deepEqual(planChunks(0, 1000, 11_000), [{ first: 0, count: 11_000, startMs: 1000, endMs: 11_000_000 }]);
  assert.deepEqual(planChunks(0, 1000, 11_001), [
    { first: 0, count: 11_000, startMs: 1000, endMs: 11_000_000 },
    { first: 11_000, count: 1, startMs: 11_001_000, endMs: 11_001_000 },
  ]);
  assert.deepEqual(planChunks(100, 10, 5, 2).map((c) => [c.first, c.count, c.startMs, c.endMs]), [
    [0, 2, 110, 120],
    [2, 2, 130, 140],
    [4, 1, 150, 150],
  ]);
});

test('raw SLI: an error ratio per step with a present mask; NaN (0/0, no traffic) is no data; above 1 clamped', async () => {
  const sli: PrometheusRawSli = { kind: 'prometheus-raw', errorRatioQuery: 'sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))' };
  const values = ['0.01', 'NaN', '0', '1.5', undefined, '0.25'];
  const prom = await fakeProm((r, res) => matrix(res, r, [(t) => values[stepIndex(t)]]));
  const got = await readPrometheusSeries(source(prom.url), sli, { from: FROM, to: FROM + 30 * MIN });
  assert.equal(got.kind, 'prometheus-raw');
  assert.equal(prom.seen[0]!.params.get('query'), 'sum(rate(e[5m])) / sum(rate(t[5m]))');
  assert.deepEqual([...got.errorRatio.errorRatio], [0.01, 0, 0, 1, 0, 0.25]);
  assert.deepEqual([...got.errorRatio.present], [1, 0, 1, 1, 0, 1]);
  assert.equal(got.errorRatio.stepMs, STEP);
  assert.equal(got.errorRatio.startMs, FROM);
  assert.equal(got.coverage, 4 / 6);
  assert.match(got.warnings.join('\n'), /errorRatioQuery was outside 0\.\.1 in 1 step\(s\); clamped/);
});

test('raw SLI: several series cannot be summed and are refused', async () => {
  const prom = await fakeProm((r, res) => matrix(res, r, [() => '0.1', () => '0.2']));
  await assert.rejects(
    readPrometheusSeries(source(prom.url), { kind: 'prometheus-raw', errorRatioQuery: 'x' }, { from: FROM, to: FROM + 30 * MIN }),
    /errorRatioQuery returned 2 series .*aggregate it to one series/,
  );
});

test('no data at all: coverage 0 and a warning, not an error', async () => {
  const prom = await fakeProm((r, res) => matrix(res, r, []));
  const got = await readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN });
  assert.equal(got.coverage, 0);
  assert.equal(got.series.rows, 0);
  assert.match(got.warnings.join('\n'), /no data at all for the 6 step\(s\)/);
});

test('errors: status error answers carry errorType and error, with the DataSource, query role and range', async () => {
  const prom = await fakeProm((_r, res) => sendJson(res, 422, { status: 'error', errorType: 'execution', error: 'many-to-many matching not allowed' }));
  await assert.rejects(
    readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }),
    (err: Error) => {
      assert.ok(isVigiaError(err, 'SLO_ERR_SOURCE_UNAVAILABLE'), String(err));
      assert.match(err.message, /^an SLO data source could not be read: Prometheus DataSource "prom" \(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range\): totalQuery "sum\(increase\(vigia_turno_requests_total\[5m\]\)\)" from 2025-03-01T00:05:00\.000Z to 2025-03-01T00:30:00\.000Z: HTTP 422: execution: many-to-many matching not allowed$/);
      return true;
    },
  );
  const ok200 = await fakeProm((_r, res) => sendJson(res, 200, { status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }));
  await assert.rejects(readPrometheusSeries(source(ok200.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }), /Prometheus answered timeout: query timed out in expression evaluation/);
});

test('errors: a non-2xx answer that is not Prometheus JSON, a body that is not JSON, a vector instead of a matrix', async () => {
  const gw = await fakeProm((_r, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html>\n<h1>upstream down</h1></html>');
  });
  await assert.rejects(readPrometheusSeries(source(gw.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }), /HTTP 502 Bad Gateway: <html> <h1>upstream down<\/h1><\/html>$/);
  const junk = await fakeProm((_r, res) => {
    res.writeHead(200);
    res.end('not json');
  });
  await assert.rejects(readPrometheusSeries(source(junk.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }), /the answer is not JSON: not json/);
  const vec = await fakeProm((_r, res) => sendJson(res, 200, { status: 'success', data: { resultType: 'vector', result: [] } }));
  await assert.rejects(readPrometheusSeries(source(vec.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }), /expected a matrix, got resultType "vector"/);
});

test('errors: a Prometheus that never answers hits the timeout', async () => {
  const hung = await fakeProm(() => {
    /* never answers; the after() hook closes the socket */
  });
  await assert.rejects(readPrometheusSeries(source(hung.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }, { timeoutMs: 200 }), /totalQuery .*: no complete answer within 200 ms \(timeout\)$/);
});

test('errors: a body that stops halfway hits the timeout too', async () => {
  const stalled = await fakeProm((_r, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"status":"success","data":{"resultType":"matrix","result":[');
  });
  await assert.rejects(readPrometheusSeries(source(stalled.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }, { timeoutMs: 200 }), /no complete answer within 200 ms \(timeout\)/);
});

test('errors: an answer over the size cap is refused, streamed (chunked) or announced by content-length', async () => {
  const big = 'x'.repeat(64 * 1024);
  const streamed = await fakeProm((_r, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let sent = 0;
    const more = (): void => {
      // 2 MiB in 64 KiB pieces, then a valid tail: only the cap can stop it.
      while (sent < 32) {
        sent++;
        if (!res.write(big)) return void res.once('drain', more);
      }
      res.end();
    };
    res.on('error', () => undefined);
    more();
  });
  await assert.rejects(
    readPrometheusSeries(source(streamed.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }, { maxBodyBytes: 1024 * 1024 }),
    /the answer is larger than 1048576 bytes \(1 MiB\); use a larger step, a shorter window, or aggregate the query with sum\(\)/,
  );
  const declared = await fakeProm((_r, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
    res.on('error', () => undefined);
    res.write(big);
  });
  await assert.rejects(readPrometheusSeries(source(declared.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }, { maxBodyBytes: 1024 * 1024 }), /the answer is larger than 1048576 bytes/);
  // The same answer under the cap is read: the cap, not the size, refused it.
  const fine = await fakeProm((r, res) => matrix(res, r, [() => 1]));
  const ok = await readPrometheusSeries(source(fine.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }, { maxBodyBytes: 1024 * 1024 });
  assert.equal(ok.coverage, 1);
});

test('errors: nothing listening gives the network error', async () => {
  const gone = await fakeProm(() => undefined);
  await new Promise<void>((resolve) => gone.server.close(() => resolve()));
  await assert.rejects(readPrometheusSeries(source(gone.url), BAD_SLI, { from: FROM, to: FROM + 30 * MIN }, { timeoutMs: 5000 }), /request failed: ECONNREFUSED/);
});

test('arguments: bad windows, steps, URLs and SLIs are configuration errors; a partial last step is a warning', async () => {
  const cfg = (err: unknown): boolean => isVigiaError(err, 'VIGIA_ERR_CONFIG');
  const url = 'http://127.0.0.1:9';
  await assert.rejects(readPrometheusSeries(source(url), BAD_SLI, { from: FROM, to: FROM }), cfg);
  await assert.rejects(readPrometheusSeries(source(url), BAD_SLI, { from: FROM, to: FROM + 4 * MIN }), /shorter than one 5m step/);
  await assert.rejects(readPrometheusSeries(source(url), BAD_SLI, { from: FROM, to: FROM + 60 * MIN }, { stepMs: 0 }), cfg);
  await assert.rejects(readPrometheusSeries(source(url), BAD_SLI, { from: FROM, to: FROM + 60 * MIN }, { maxPointsPerQuery: 11_001 }), cfg);
  await assert.rejects(readPrometheusSeries(source('ftp://x'), BAD_SLI, { from: FROM, to: FROM + 60 * MIN }), /must be http:\/\/ or https:\/\//);
  await assert.rejects(readPrometheusSeries(source(url), { kind: 'prometheus-ratio', totalQuery: 't' }, { from: FROM, to: FROM + 60 * MIN }), /needs a goodQuery or a badQuery/);
  await assert.rejects(readPrometheusSeries(source(url), { kind: 'prometheus-ratio', totalQuery: ' ', badQuery: 'b' }, { from: FROM, to: FROM + 60 * MIN }), /has no totalQuery/);
  const prom = await fakeProm((r, res) => matrix(res, r, [() => 1]));
  const got = await readPrometheusSeries(source(prom.url), BAD_SLI, { from: FROM, to: FROM + 62 * MIN });
  assert.equal(got.series.total.length, 12);
  assert.match(got.warnings.join('\n'), /the last 2m of the window \(2025-03-01T01:00:00\.000Z to 2025-03-01T01:02:00\.000Z\) is shorter than one 5m step and was not read/);
});

test('parseQueryRangeAnswer: matrix and warnings; malformed points refused', () => {
  const a = parseQueryRangeAnswer(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: '1' }, values: [[1, '2']] }] }, warnings: ['w'] }));
  assert.deepEqual(a, { result: [{ metric: { a: '1' }, values: [[1, '2']] }], warnings: ['w'] });
  assert.throws(() => parseQueryRangeAnswer(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [['1', 2]] }] } })), /not \[seconds, "value"\]/);
  assert.throws(() => parseQueryRangeAnswer('{"status":"error","errorType":"bad_data","error":"parse error"}'), /Prometheus answered bad_data: parse error/);
});
