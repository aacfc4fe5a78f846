import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { LINES_HEADERS, LINES_PATH } from '../wire.js';
import { runLogSimulation, type LogSimulationOptions } from './simulator.js';

const TOKEN = 'shipper-secret';
/** A strict combined line (months and hours checked): what a real parser accepts, good enough to count rejections. */
const COMBINED = /^\S+ - \S+ \[\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:[01]\d:[0-5]\d:[0-5]\d [+-]\d{4}\] "(?:[^"\\]|\\.)*" \d{3} (?:\d+|-) "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*"$/;

interface Batch {
  readonly token: string;
  readonly source: string;
  readonly start: number;
  readonly end: number;
  readonly dropped: number;
  readonly lines: string[];
  readonly encoding: string | undefined;
  readonly format: string;
}

/**
 * A tiny collector: checks the wire headers of each batch, keeps what it got, and answers per `answer`
 * (default 200 with every line counted stored, or rejected when it does not look like a combined line).
 */
async function receiver(answer?: (n: number, b: Batch) => { status: number; headers?: Record<string, string> } | 'hang') {
  const batches: Batch[] = [];
  const problems: string[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      if (req.method !== 'POST' || req.url !== LINES_PATH) problems.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== `Bearer ${TOKEN}` && req.headers.authorization !== `Bearer ${TOKEN}-2`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":{"code":"VIGIA_ERR_UNAUTHORIZED","message":"no"}}');
      }
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('latin1');
      if (!text.endsWith('\n')) problems.push('batch without a final LF');
      const lines = text.slice(0, -1).split('\n');
      const [start, end] = String(req.headers[LINES_HEADERS.offset]).split('-').map(Number) as [number, number];
      if (end - start !== raw.length && req.headers['content-encoding'] !== 'gzip') problems.push('offset range is not the body length');
      if (end - start !== Buffer.byteLength(text, 'latin1')) problems.push(`offset range ${start}-${end} for ${text.length} bytes`);
      if (Number(req.headers[LINES_HEADERS.lines]) !== lines.length) problems.push(`lines header ${req.headers[LINES_HEADERS.lines]} for ${lines.length} lines`);
      const b: Batch = { token: String(req.headers.authorization).slice(7), source: String(req.headers[LINES_HEADERS.source]), start, end, dropped: Number(req.headers[LINES_HEADERS.dropped]), lines, encoding: req.headers['content-encoding'], format: String(req.headers[LINES_HEADERS.format]) };
      const a = answer?.(requests, b) ?? { status: 200 };
      if (a === 'hang') return; // never answers: the simulator's timeouts and drain bound must end the run
      if (a.status === 200) batches.push(b);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      const rejected = lines.filter((l) => !COMBINED.test(l)).length;
      res.end(a.status === 200 ? JSON.stringify({ stored: lines.length - rejected, rejected, duplicates: 0 }) : '{"error":{"code":"VIGIA_ERR_RATE_LIMITED","message":"slow"}}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    batches,
    problems,
    requests: () => requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const base = (url: string): LogSimulationOptions => ({
  url,
  tokens: [TOKEN],
  nodes: 10,
  rate: 'max',
  seed: 7,
  format: 'combined',
  batchLines: 200,
  flushMs: 200,
  concurrency: 4,
  gzip: true,
  maxTries: 3,
  requestTimeoutMs: 2000,
  drainMs: 2000,
  backlogLines: 1_000_000,
  startMs: Date.UTC(2026, 2, 1),
});

test('--lines in max mode: exactly that many lines arrive, split over the nodes, offsets contiguous per source; the run stops by itself', async () => {
  const rx = await receiver();
  try {
    const s = await runLogSimulation({ ...base(rx.url), lines: 10_001, shares: { bad: 0.01 } });
    assert.deepEqual(rx.problems, []);
    const got = rx.batches.reduce((a, b) => a + b.lines.length, 0);
    assert.equal(got, 10_001);
    assert.equal(s.stopped, 'lines');
    assert.deepEqual({ ...s.lines }, { generated: 10_001, generated_bad: s.lines.generated_bad, acknowledged: 10_001, dropped: 0, unsent: 0, stored: 10_001 - s.lines.rejected, rejected: s.lines.rejected, duplicates: 0 });
    // The receiver's rejections are exactly the generated bad lines (truncated, bad time, error-log text).
    assert.equal(s.lines.rejected, s.lines.generated_bad);
    assert.ok(s.lines.generated_bad > 50 && s.lines.generated_bad < 160, `bad ${s.lines.generated_bad}`);
    const bySource = new Map<string, Batch[]>();
    for (const b of rx.batches) bySource.set(b.source, [...(bySource.get(b.source) ?? []), b]);
    assert.equal(bySource.size, 10);
    for (const [source, bs] of bySource) {
      assert.match(source, /^sim-00\d\d:0:\d+$/);
      bs.sort((a, b) => a.start - b.start);
      let at = 0;
      for (const b of bs) {
        assert.equal(b.start, at, `${source} gap or overlap at ${at}`);
        at = b.end;
        assert.ok(b.lines.length <= 200);
        assert.equal(b.encoding, 'gzip');
        assert.equal(b.format, 'combined');
      }
      const n = bs.reduce((a, b) => a + b.lines.length, 0);
      assert.ok(n === 1000 || n === 1001, `${source}: ${n}`);
    }
    assert.equal(s.batches.sent, rx.batches.length);
  } finally {
    await rx.close();
  }
});

test('the same seed sends the same lines', async () => {
  const texts: string[][] = [];
  for (let i = 0; i < 2; i++) {
    const rx = await receiver();
    try {
      await runLogSimulation({ ...base(rx.url), nodes: 3, lines: 900, concurrency: 1 });
      texts.push(rx.batches.sort((a, b) => a.source.localeCompare(b.source) || a.start - b.start).flatMap((b) => b.lines));
    } finally {
      await rx.close();
    }
  }
  assert.equal(texts[0]!.length, 900);
  assert.deepEqual(texts[0], texts[1]);
});

test('a rated run paces lines over its duration and stops by itself, every line accounted for', async () => {
  const rx = await receiver();
  try {
    const began = Date.now();
    const s = await runLogSimulation({ ...base(rx.url), rate: 2000, durationSeconds: 1.5, gzip: false });
    const took = Date.now() - began;
    assert.deepEqual(rx.problems, []);
    assert.equal(s.stopped, 'duration');
    assert.ok(took >= 1400 && took < 6000, `took ${took} ms`);
    // 2000 lines/s for 1.5 s, and nothing sent ahead of time.
    assert.equal(s.lines.generated, 3000);
    assert.equal(s.lines.acknowledged, rx.batches.reduce((a, b) => a + b.lines.length, 0));
    assert.equal(s.lines.generated, s.lines.acknowledged + s.lines.dropped + s.lines.unsent);
    assert.equal(s.lines.acknowledged, 3000);
    // Flushes every 200 ms per node: many small batches, not one per node.
    assert.ok(rx.batches.length >= 50, `batches ${rx.batches.length}`);
    assert.ok(rx.batches.every((b) => b.encoding === undefined));
  } finally {
    await rx.close();
  }
});

test('429 with Retry-After is retried, and the lines arrive once', async () => {
  const rx = await receiver((n) => (n % 3 === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 200 }));
  try {
    const s = await runLogSimulation({ ...base(rx.url), nodes: 2, lines: 2000, concurrency: 1 });
    assert.equal(s.lines.acknowledged, 2000);
    assert.equal(s.lines.dropped, 0);
    assert.ok(s.batches.retried >= 5);
    assert.ok((s.batches.errors['429'] ?? 0) >= 5);
    assert.equal(rx.batches.reduce((a, b) => a + b.lines.length, 0), 2000);
  } finally {
    await rx.close();
  }
});

test('a collector that keeps answering 503 makes nodes drop after maxTries, count it, and say so in X-Vigia-Log-Dropped', async () => {
  const seen: Batch[] = [];
  const rx = await receiver((n, b) => (seen.push(b), { status: 503, headers: { 'retry-after': '0' } }));
  try {
    const s = await runLogSimulation({ ...base(rx.url), nodes: 1, lines: 600, batchLines: 200, concurrency: 1, maxTries: 2 });
    assert.equal(s.lines.acknowledged, 0);
    assert.equal(s.lines.dropped, 600);
    assert.equal(rx.requests(), 6); // 3 batches x 2 tries
    assert.deepEqual(seen.map((b) => b.dropped), [0, 0, 200, 200, 400, 400]);
  } finally {
    await rx.close();
  }
});

test('401 stops the run at once (refused), not after retrying every batch', async () => {
  const rx = await receiver();
  try {
    const s = await runLogSimulation({ ...base(rx.url), tokens: ['wrong'], lines: 100_000 });
    assert.equal(s.stopped, 'refused');
    assert.ok(rx.requests() <= 8, `requests ${rx.requests()}`);
    assert.equal(s.lines.generated, s.lines.acknowledged + s.lines.dropped + s.lines.unsent);
  } finally {
    await rx.close();
  }
});

test('a collector that never answers: the request timeout and the drain bound end the run, lines counted', async () => {
  const rx = await receiver(() => 'hang');
  try {
    const began = Date.now();
    const s = await runLogSimulation({ ...base(rx.url), nodes: 2, rate: 1000, durationSeconds: 0.5, requestTimeoutMs: 60_000, drainMs: 800 });
    const took = Date.now() - began;
    assert.ok(took < 4000, `took ${took} ms`);
    assert.equal(s.lines.acknowledged, 0);
    assert.equal(s.lines.generated, 500);
    assert.equal(s.lines.unsent + s.lines.dropped, 500);
  } finally {
    await rx.close();
  }
});

test('with several tokens, node i sends with token i mod n', async () => {
  const rx = await receiver();
  try {
    await runLogSimulation({ ...base(rx.url), nodes: 4, lines: 400, tokens: [TOKEN, `${TOKEN}-2`] });
    const pairs = new Set(rx.batches.map((b) => `${b.source.slice(0, 8)} ${b.token}`));
    assert.deepEqual([...pairs].sort(), [`sim-0001 ${TOKEN}`, `sim-0002 ${TOKEN}-2`, `sim-0003 ${TOKEN}`, `sim-0004 ${TOKEN}-2`]);
  } finally {
    await rx.close();
  }
});
