/**
 * The shared contract suite of LogStore (habit 9): every engine calls `logStoreContract(name, open)` from its
 * own test file and must give exactly the JSON (values, order and key order) that the plain in-memory
 * reference (reference-answers.ts) gives over the same records. A few answers are also written out by hand,
 * so the reference itself is checked. `open` returns a fresh, empty store each time; the suite closes it.
 */
import { mulberry32 } from '../../core/random.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRecord } from '../record.js';
import { TOP_BY, type LogStore, type TimeRange } from './log-store.js';
import { checkRecords } from './record-check.js';
import {
  referenceOverview, referenceSeries, referenceTop, referenceVisits, referenceWho,
} from './reference-answers.js';

const DAY = 86_400_000;
/** Monday 2026-12-07 00:00 UTC: the fixture's first day. */
const DAY0 = Date.UTC(2026, 11, 7);
const ALL: TimeRange = { from: 0, to: 8.64e15 };

/** URLs that break naive quoting, LIKE patterns and byte order. */
const NASTY_URLS = [
  '/', '/index.html', '/a', '/a/b', '/a/b/c', '/ab', '/a_b', '/a%b', '/aXb',
  '/q"uote', '/back\\slash', "/'; DROP TABLE access; --", '/ünïcødé/路径', '/emoji/😀', '/\uFFFD',
  '\\x16\\x03\\x01\\x02', '-', '/very/' + 'long/'.repeat(400),
];
const CLIENTS = ['10.0.0.1', '10.0.0.2', '10.0.0.10', '192.168.1.7', '2001:db8::1', '2001:db8::a', '::1', '2001:db8:0:0:0:0:0:ff'];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0', 'Mozilla/5.0 (Macintosh) Safari/605.1.15',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'curl/8.5.0', '', 'Ünïcode "agent"',
];
const REFERRERS = ['', '', '', 'https://example.com/', 'https://search.example/?q=%27x', 'android-app://x'];
const STATUSES = [200, 200, 200, 200, 304, 404, 404, 500, 301, 0, 101, 999];
const SERVERS = ['web-001', 'web-002', 'web-003'];

/** A record with every field set; `over` replaces some. */
export function accessRecord(over: Partial<AccessRecord> = {}): AccessRecord {
  return {
    ts: DAY0, server: 'web-001', client: '10.0.0.1', method: 'GET', url: '/', query: '', protocol: 'HTTP/1.1',
    status: 200, bytes: 512, referrer: '', agent: 'Mozilla/5.0', vhost: 'www.example.com', user: '', durationMs: -1,
    ...over,
  };
}

/** A deterministic mix of `n` records over three days (mulberry32, so every engine sees the same input). */
export function contractRecords(n: number, seed = 15): AccessRecord[] {
  const rnd = mulberry32(seed);
  // Skewed picks (a few URLs and clients dominate), so rankings have both clear leaders and ties.
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() ** 2 * xs.length)]!;
  const out: AccessRecord[] = [];
  for (let i = 0; i < n; i++) {
    const url = pick(NASTY_URLS);
    out.push(accessRecord({
      ts: DAY0 + Math.floor(rnd() * 3 * DAY),
      server: pick(SERVERS),
      client: pick(CLIENTS),
      method: url.startsWith('/') ? 'GET' : '',
      url,
      query: rnd() < 0.2 ? 'q=1&x=%27' : '',
      status: pick(STATUSES),
      bytes: Math.floor(rnd() * 100_000),
      referrer: pick(REFERRERS),
      agent: pick(AGENTS),
      durationMs: rnd() < 0.5 ? -1 : Math.round(rnd() * 5000) / 10,
    }));
  }
  // Exact day and minute boundaries, and the last ms of a day.
  out.push(accessRecord({ ts: DAY0 + DAY, url: '/a' }), accessRecord({ ts: DAY0 + DAY - 1, url: '/a' }), accessRecord({ ts: DAY0 + 2 * DAY + 60_000, url: '/a/b' }));
  return out;
}

/** Asserts the two answers print as the same JSON (values, order and key order). */
function sameJson(actual: unknown, expected: unknown, what: string): void {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), what);
}

/** Inserts in batches of 1,000, as the collector does (several batches per day, days interleaved). */
async function insertAll(store: LogStore, records: readonly AccessRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 1000) await store.insert(records.slice(i, i + 1000));
}

const RANGES: readonly [string, TimeRange][] = [
  ['all', ALL],
  ['day 1', { from: DAY0 + DAY, to: DAY0 + 2 * DAY }],
  ['an odd window', { from: DAY0 + 7 * 3_600_000 + 123, to: DAY0 + DAY + 13 * 3_600_000 + 7 }],
  ['nothing', { from: DAY0 - DAY, to: DAY0 }],
];

/** Registers the contract tests of one engine. `open` must give a fresh, empty store on every call. */
export function logStoreContract(name: string, open: () => Promise<LogStore>): void {
  describe(`LogStore contract: ${name}`, () => {
    describe('over a fixed mix of 3,000 records', () => {
      const records = contractRecords(3000);
      let store: LogStore;
      before(async () => {
        checkRecords(records);
        store = await open();
        await insertAll(store, records);
      });
      after(async () => store?.close());

      test('who: exact url, every range, every limit', async () => {
        for (const url of NASTY_URLS.concat(['/not-there'])) {
          for (const [label, r] of RANGES) {
            for (const limit of [1, 3, 100]) {
              const q = { ...r, url, prefix: false, limit };
              sameJson(await store.who(q), referenceWho(records, q), `who ${JSON.stringify(url)} ${label} limit ${limit}`);
            }
          }
        }
      });

      test("who --prefix: a plain prefix, '%' and '_' are not wildcards", async () => {
        for (const url of ['/', '/a', '/a/', '/a_', '/a%', '/ü', '/emoji/', "/'", '-', '/zzz']) {
          for (const [label, r] of RANGES) {
            const q = { ...r, url, prefix: true, limit: 100 };
            sameJson(await store.who(q), referenceWho(records, q), `who --prefix ${JSON.stringify(url)} ${label}`);
          }
        }
        const underscore = await store.who({ ...ALL, url: '/a_', prefix: true, limit: 100 });
        assert.ok(underscore.clients.length > 0);
        const viaUnderscore = referenceWho(records.filter((x) => x.url === '/a_b'), { ...ALL, url: '/a_b', prefix: false, limit: 100 });
        sameJson(underscore, { ...viaUnderscore, url: '/a_' }, "'/a_' matches '/a_b' only, not '/aXb'");
      });

      test('top: every TopBy, ties by key, empty referrers and agents left out', async () => {
        for (const by of TOP_BY) {
          for (const [label, r] of RANGES) {
            for (const limit of [1, 2, 5, 1000]) {
              const q = { ...r, by, limit };
              sameJson(await store.top(q), referenceTop(records, q), `top ${by} ${label} limit ${limit}`);
            }
          }
        }
        const agents = await store.top({ ...ALL, by: 'agents', limit: 1000 });
        assert.ok(agents.rows.every((row) => row.key !== ''), 'no empty agent');
        const referrers = await store.top({ ...ALL, by: 'referrers', limit: 1000 });
        assert.ok(referrers.rows.every((row) => row.key !== ''), 'no empty referrer');
      });

      test('visits: every client (IPv6 included) and an unknown one', async () => {
        for (const ip of CLIENTS.concat(['10.9.9.9'])) {
          for (const [label, r] of RANGES) {
            for (const limit of [2, 100]) {
              const q = { ...r, ip, limit };
              sameJson(await store.visits(q), referenceVisits(records, q), `visits ${ip} ${label} limit ${limit}`);
            }
          }
        }
      });

      test('series: per minute, with each filter and their combinations', async () => {
        const filters = [
          {}, { url: '/a' }, { url: '/a', prefix: true }, { url: '/a_', prefix: true }, { ip: '2001:db8::1' },
          { status: 404 }, { status: 0 }, { url: '/', prefix: true, ip: '10.0.0.1', status: 200 }, { url: "/'; DROP TABLE access; --" },
        ];
        for (const f of filters) {
          for (const [label, r] of RANGES) {
            const q = { ...r, ...f };
            sameJson(await store.series(q), referenceSeries(records, q), `series ${JSON.stringify(f)} ${label}`);
          }
        }
      });

      test('overview: counts, unique visitors (client, UTC day, agent), bots, hourly', async () => {
        for (const [label, r] of RANGES) {
          for (const limit of [3, 10, 1000]) {
            const q = { ...r, limit };
            sameJson(await store.overview(q), referenceOverview(records, q), `overview ${label} limit ${limit}`);
          }
        }
      });

      test('stats: lines, times of the oldest and newest entry, bytes on disk', async () => {
        const s = await store.stats();
        assert.equal(s.lines, records.length);
        let oldest = Infinity;
        let newest = -Infinity;
        for (const x of records) {
          oldest = Math.min(oldest, x.ts);
          newest = Math.max(newest, x.ts);
        }
        assert.equal(s.oldest, new Date(oldest).toISOString());
        assert.equal(s.newest, new Date(newest).toISOString());
        assert.ok(Number.isSafeInteger(s.bytes) && s.bytes > 0, `bytes ${s.bytes}`);
      });
    });

    test('answers written out by hand: ties, range [from, to), status mix, unique visitors', async () => {
      const t = DAY0 + 10 * 3_600_000;
      const given = [
        accessRecord({ ts: t - 1, client: '10.0.0.9', url: '/x' }), // before the range
        accessRecord({ ts: t, client: '10.0.0.2', url: '/x', status: 404, agent: 'A' }), // at from: in
        accessRecord({ ts: t + 61_000, client: '10.0.0.2', url: '/x', status: 200, agent: 'A' }),
        accessRecord({ ts: t + 62_000, client: '10.0.0.10', url: '/x', status: 0, agent: '' }),
        accessRecord({ ts: t + 63_000, client: '2001:db8::1', url: '/x/y', status: 503, agent: 'curl/8', referrer: 'https://r/' }),
        accessRecord({ ts: t + 64_000, client: '10.0.0.10', url: '/x', status: 301, agent: 'B' }),
        accessRecord({ ts: t + 3_600_000, client: '10.0.0.1', url: '/x' }), // at to: out
      ];
      const store = await open();
      try {
        await store.insert(given);
        const range = { from: t, to: t + 3_600_000 };
        const mix = (o: Partial<Record<string, number>>) => ({ '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0, ...o });
        const at = (ms: number) => new Date(ms).toISOString();
        sameJson(await store.who({ ...range, url: '/x', prefix: false, limit: 10 }), {
          url: '/x',
          clients: [
            // Two hits each: '10.0.0.10' before '10.0.0.2' (byte order of the text).
            { ip: '10.0.0.10', hits: 2, first_seen: at(t + 62_000), last_seen: at(t + 64_000), status: mix({ '3xx': 1, other: 1 }) },
            { ip: '10.0.0.2', hits: 2, first_seen: at(t), last_seen: at(t + 61_000), status: mix({ '2xx': 1, '4xx': 1 }) },
          ],
        }, 'who /x');
        sameJson(await store.who({ ...range, url: '/x', prefix: true, limit: 10 }), {
          url: '/x',
          clients: [
            { ip: '10.0.0.10', hits: 2, first_seen: at(t + 62_000), last_seen: at(t + 64_000), status: mix({ '3xx': 1, other: 1 }) },
            { ip: '10.0.0.2', hits: 2, first_seen: at(t), last_seen: at(t + 61_000), status: mix({ '2xx': 1, '4xx': 1 }) },
            { ip: '2001:db8::1', hits: 1, first_seen: at(t + 63_000), last_seen: at(t + 63_000), status: mix({ '5xx': 1 }) },
          ],
        }, 'who /x --prefix');
        sameJson(await store.top({ ...range, by: 'status', limit: 10 }), {
          by: 'status', rows: [{ key: '0', hits: 1 }, { key: '200', hits: 1 }, { key: '301', hits: 1 }, { key: '404', hits: 1 }, { key: '503', hits: 1 }],
        }, 'top status: all tied, keys as text ascending');
        sameJson(await store.top({ ...range, by: 'agents', limit: 10 }), {
          by: 'agents', rows: [{ key: 'A', hits: 2 }, { key: 'B', hits: 1 }, { key: 'curl/8', hits: 1 }],
        }, 'top agents: the empty agent left out');
        sameJson(await store.series({ ...range, url: '/x' }), {
          step_seconds: 60, points: [{ t: at(t), hits: 1 }, { t: at(t + 60_000), hits: 3 }],
        }, 'series /x');
        const o = await store.overview({ ...range, limit: 10 });
        assert.equal(o.requests, 5);
        assert.equal(o.unique_visitors, 4, "(10.0.0.2, A) once, 10.0.0.10 with '' and with B, 2001:db8::1");
        assert.equal(o.bytes, 5 * 512);
        assert.equal(o.first, at(t));
        assert.equal(o.last, at(t + 64_000));
        sameJson(o.bots, [{ key: 'curl/8', hits: 1 }], 'bots');
        sameJson(o.not_found, [{ key: '/x', hits: 1 }], '404s');
        assert.equal(o.hourly[10], 5);
        assert.equal(o.hourly.reduce((a, b) => a + b, 0), 5);
      } finally {
        await store.close();
      }
    });

    test('an empty store answers empty, not an error', async () => {
      const store = await open();
      try {
        sameJson(await store.who({ ...ALL, url: '/', prefix: true, limit: 10 }), { url: '/', clients: [] }, 'who');
        for (const by of TOP_BY) sameJson(await store.top({ ...ALL, by, limit: 10 }), { by, rows: [] }, `top ${by}`);
        sameJson(await store.visits({ ...ALL, ip: '::1', limit: 10 }), { ip: '::1', urls: [] }, 'visits');
        sameJson(await store.series(ALL), { step_seconds: 60, points: [] }, 'series');
        sameJson(await store.overview({ ...ALL, limit: 10 }), referenceOverview([], { ...ALL, limit: 10 }), 'overview');
        const s = await store.stats();
        assert.equal(s.lines, 0);
        assert.equal(s.oldest, null);
        assert.equal(s.newest, null);
        assert.ok(Number.isSafeInteger(s.bytes) && s.bytes >= 0);
        await store.insert([]);
        assert.equal((await store.stats()).lines, 0, 'an empty batch is a no-op');
      } finally {
        await store.close();
      }
    });

    test('expire(before) removes exactly the entries logged before it, mid-day included', async () => {
      const records = contractRecords(2000, 7);
      const store = await open();
      try {
        await insertAll(store, records);
        const cut = DAY0 + DAY + 12 * 3_600_000 + 5; // in the middle of day 1: whole day 0 and half of day 1 go
        const kept = records.filter((x) => x.ts >= cut);
        const gone = await store.expire(cut);
        assert.ok(Number.isSafeInteger(gone) && gone >= 0, `expire answered ${gone}`);
        const s = await store.stats();
        assert.equal(s.lines, kept.length);
        assert.equal(s.oldest, new Date(Math.min(...kept.map((x) => x.ts))).toISOString());
        for (const by of TOP_BY) sameJson(await store.top({ ...ALL, by, limit: 50 }), referenceTop(kept, { ...ALL, by, limit: 50 }), `top ${by} after expire`);
        sameJson(await store.overview({ ...ALL, limit: 5 }), referenceOverview(kept, { ...ALL, limit: 5 }), 'overview after expire');
        assert.ok((await store.expire(cut)) >= 0, 'expiring again is harmless');
        assert.equal((await store.stats()).lines, kept.length);
        await store.insert([accessRecord({ ts: cut - DAY, url: '/late' })]);
        assert.equal((await store.who({ ...ALL, url: '/late', prefix: false, limit: 1 })).clients.length, 1, 'a late line for an expired day can still be stored');
      } finally {
        await store.close();
      }
    });

    test('concurrent inserts and queries: every line stored once', async () => {
      const records = contractRecords(4000, 99);
      const store = await open();
      try {
        const batches: AccessRecord[][] = [];
        for (let i = 0; i < records.length; i += 500) batches.push(records.slice(i, i + 500));
        await Promise.all([
          ...batches.map((b) => store.insert(b)),
          ...batches.map(() => store.top({ ...ALL, by: 'urls', limit: 3 })),
          store.stats(),
        ]);
        assert.equal((await store.stats()).lines, records.length);
        sameJson(await store.top({ ...ALL, by: 'ips', limit: 100 }), referenceTop(records, { ...ALL, by: 'ips', limit: 100 }), 'top ips');
      } finally {
        await store.close();
      }
    });

    test('a batch with one bad record is refused whole (LOGS_ERR_INVALID_RECORD), the store unchanged', async () => {
      const store = await open();
      try {
        const good = contractRecords(300, 3);
        await store.insert(good);
        const bad: AccessRecord[][] = [
          [...contractRecords(999, 4), accessRecord({ ts: Number.NaN })],
          [...contractRecords(999, 5), { ...accessRecord(), client: null as unknown as string }],
          [...contractRecords(999, 6), accessRecord({ status: 200.5 })],
          [...contractRecords(999, 8), accessRecord({ url: '/lone\uD800surrogate' })],
        ];
        for (const batch of bad) await assert.rejects(store.insert(batch), { code: 'LOGS_ERR_INVALID_RECORD' });
        assert.equal((await store.stats()).lines, good.length);
        sameJson(await store.top({ ...ALL, by: 'urls', limit: 100 }), referenceTop(good, { ...ALL, by: 'urls', limit: 100 }), 'top urls');
      } finally {
        await store.close();
      }
    });

    test('a store closed and opened again is a fresh one (the suite relies on it)', async () => {
      const store = await open();
      await store.close();
      const again = await open();
      try {
        assert.equal((await again.stats()).lines, 0);
      } finally {
        await again.close();
      }
    });
  });
}
