import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPopulation } from './population.js';
import { createTraffic, type SimLine, type TrafficOptions } from './traffic-model.js';
import { BOT_AGENTS } from './user-agents.js';
import { escapeField, lineFormatter } from './access-line.js';
import { zipf } from './zipf.js';

const START = Date.UTC(2026, 2, 1);
const pop = buildPopulation({ seed: 42 });

function lines(n: number, o: Partial<TrafficOptions> = {}): SimLine[] {
  const t = createTraffic({ population: pop, node: 3, startMs: START, ratePerSecond: 200, ...o });
  return Array.from({ length: n }, () => t.next());
}

const N = 200_000;
const sample = lines(N);
const share = (pred: (l: SimLine) => boolean): number => sample.filter(pred).length / N;

test('the same population, node and seed give the same lines; another node or seed gives others', () => {
  const a = lines(2000).map((l) => l.text);
  assert.deepEqual(lines(2000).map((l) => l.text), a);
  assert.deepEqual(createTraffic({ population: buildPopulation({ seed: 42 }), node: 3, startMs: START, ratePerSecond: 200 }).next().text, a[0]);
  const otherNode = lines(2000, { node: 4 }).map((l) => l.text);
  assert.ok(otherNode.filter((t, i) => t === a[i]).length < 20);
  const otherSeed = createTraffic({ population: buildPopulation({ seed: 43 }), node: 3, startMs: START, ratePerSecond: 200 });
  const b = Array.from({ length: 2000 }, () => otherSeed.next().text);
  assert.ok(b.filter((t, i) => t === a[i]).length < 20);
});

test('URL hits follow Zipf: rank-frequency slope near -1 over the head, rank 0 near its probability', () => {
  const hits = new Map<number, number>();
  for (const l of sample) if (l.kind === 'request' && l.rank >= 0) hits.set(l.rank, (hits.get(l.rank) ?? 0) + 1);
  const humans = sample.filter((l) => l.kind === 'request' && l.rank >= 0).length;
  // Rank 0's share of human requests is the Zipf probability (±15 %).
  const p0 = (hits.get(0) ?? 0) / humans;
  assert.ok(Math.abs(p0 / pop.urls.probability(0) - 1) < 0.15, `rank 0 share ${p0} vs ${pop.urls.probability(0)}`);
  // Least-squares slope of log(hits) on log(rank+1) over ranks 0..99 (where counts are large enough).
  const xs: number[] = [];
  const ys: number[] = [];
  for (let k = 0; k < 100; k++) {
    xs.push(Math.log(k + 1));
    ys.push(Math.log(hits.get(k) ?? 1));
  }
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  assert.ok(slope < -0.85 && slope > -1.15, `slope ${slope}`);
  // A long tail: many URLs are hit, most of them rarely.
  assert.ok(hits.size > 5000, `distinct urls ${hits.size}`);
});

test('shares of bots, 404s, 5xx, bad lines, probes, IPv6 and long lines are within tolerance of the settings', () => {
  const bots = share((l) => l.kind === 'bot');
  assert.ok(Math.abs(bots - 0.08) < 0.008, `bots ${bots}`);
  const parsed = sample.filter((l) => l.kind !== 'bad');
  const notFound = parsed.filter((l) => l.status === 404).length / N;
  assert.ok(Math.abs(notFound - 0.03) < 0.004, `404 ${notFound}`);
  const fivexx = parsed.filter((l) => l.status >= 500).length / N;
  assert.ok(Math.abs(fivexx - 0.005) < 0.0015, `5xx ${fivexx}`);
  const bad = share((l) => l.kind === 'bad');
  assert.ok(Math.abs(bad - 0.002) < 0.0006, `bad ${bad}`);
  const probes = share((l) => l.kind === 'probe');
  assert.ok(Math.abs(probes - 0.002) < 0.0006, `probes ${probes}`);
  const v6 = share((l) => l.kind === 'request' && l.client.includes(':')) / share((l) => l.kind === 'request');
  assert.ok(v6 > 0.05 && v6 < 0.15, `ipv6 ${v6}`);
  assert.ok(share((l) => l.long) > 0, 'some long lines');
  // Bot lines carry a crawler's user agent; human lines do not.
  for (const l of sample.slice(0, 5000)) {
    const crawler = BOT_AGENTS.some((a) => l.text.includes(a));
    if (l.kind === 'bot') assert.ok(crawler, l.text);
    if (l.kind === 'request') assert.ok(!crawler, l.text);
  }
});

test('a configured bad-line share is honoured, and 0 gives none', () => {
  const ten = lines(50_000, { shares: { bad: 0.1 } }).filter((l) => l.kind === 'bad').length / 50_000;
  assert.ok(Math.abs(ten - 0.1) < 0.01, `bad ${ten}`);
  assert.equal(lines(20_000, { shares: { bad: 0, probe: 0 } }).filter((l) => l.kind === 'bad' || l.kind === 'probe').length, 0);
  assert.throws(() => lines(1, { shares: { bad: 1.5 } }), /bad share must be from 0 to 1/);
});

test('a few clients send many requests, most send few (heavy tail)', () => {
  const per = new Map<string, number>();
  for (const l of sample) if (l.kind === 'request') per.set(l.client, (per.get(l.client) ?? 0) + 1);
  const counts = [...per.values()].sort((a, b) => b - a);
  const top1pct = counts.slice(0, Math.ceil(counts.length / 100)).reduce((a, b) => a + b, 0);
  const total = counts.reduce((a, b) => a + b, 0);
  assert.ok(top1pct / total > 0.1, `top 1 % of clients send ${top1pct / total}`);
  assert.ok(counts.filter((c) => c === 1).length > counts.length / 4, 'many one-hit clients');
});

test('timestamps advance with the rate: 200 lines/s for 200,000 lines spans about 1,000 s, never backwards', () => {
  let prev = -Infinity;
  for (const l of sample) {
    assert.ok(l.ts >= prev);
    prev = l.ts;
  }
  const span = (sample.at(-1)!.ts - START) / 1000;
  assert.ok(span > 950 && span < 1050, `span ${span}`);
});

test('lines are well formed combined: good lines match the format, bad lines do not', () => {
  const re = /^(\S+) - (\S+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;
  const months = new Set(['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']);
  for (const node of [0, 1, 4, 6]) {
    for (const l of lines(20_000, { node, shares: { bad: 0.02, probe: 0.02 } })) {
      const m = re.exec(l.text);
      const ok = m !== null && months.has(m[4]!) && Number(m[3]) <= 31 && Number(m[6]) < 24;
      if (ok !== (l.kind !== 'bad')) assert.fail(`${l.kind}: ${JSON.stringify(l.text)}`);
      // Escaped: no raw control bytes or non-ASCII in a line (probes' bytes are \xhh).
      if (!/^[\x20-\x7e]*$/.test(l.text)) assert.fail(JSON.stringify(l.text));
    }
  }
});

test('node habits: Apache and nginx escaping, empty values, UTC offsets', () => {
  assert.equal(escapeField('a"b\\c\u0016', 'apache'), 'a\\"b\\\\c\\x16');
  assert.equal(escapeField('a"b\\c\u00fc', 'nginx'), 'a\\x22b\\x5Cc\\xFC');
  const ap = lineFormatter('combined', 'apache', -420);
  const r = { ts: Date.UTC(2026, 0, 1, 3, 4, 5), client: '2001:db8::1', user: '', request: null, status: 408, bytes: 0, referrer: '', agent: '', vhost: 'v', port: 80 };
  assert.equal(ap.line(r), '2001:db8::1 - - [31/Dec/2025:20:04:05 -0700] "-" 408 - "-" "-"');
  assert.equal(lineFormatter('combined', 'nginx', 330).line(r), '2001:db8::1 - - [01/Jan/2026:08:34:05 +0530] "" 408 0 "-" "-"');
  assert.equal(lineFormatter('vhost_combined', 'apache', 0).line({ ...r, request: 'GET / HTTP/1.1', status: 200, bytes: 5 }), 'v:80 2001:db8::1 - - [01/Jan/2026:03:04:05 +0000] "GET / HTTP/1.1" 200 5 "-" "-"');
  assert.equal(lineFormatter('common', 'apache', 0).line({ ...r, request: 'GET / HTTP/1.1', status: 200, bytes: 5 }), '2001:db8::1 - - [01/Jan/2026:03:04:05 +0000] "GET / HTTP/1.1" 200 5');
  const nodes = [0, 1, 4, 6].map((node) => createTraffic({ population: pop, node, startMs: START, ratePerSecond: 1 }));
  assert.deepEqual(nodes.map((n) => [n.flavour, n.offsetMinutes]), [['apache', 0], ['nginx', 0], ['apache', -420], ['apache', 330]]);
});

test('zipf: probabilities sum to 1 and ranks are drawn by the inverse CDF', () => {
  const z = zipf(1000, 1);
  let sum = 0;
  for (let k = 0; k < 1000; k++) sum += z.probability(k);
  assert.ok(Math.abs(sum - 1) < 1e-9);
  assert.equal(z.rank(0), 0);
  assert.equal(z.rank(0.999999999), 999);
  assert.equal(z.rank(z.probability(0) - 1e-12), 0);
  assert.equal(z.rank(z.probability(0) + 1e-12), 1);
  assert.throws(() => zipf(0, 1), RangeError);
});
