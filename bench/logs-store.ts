/**
 * Store engine measurements for `vigia logs` (docs/logs-storage.md): ingest rate from AccessRecord batches,
 * "who visited URL X on day D" p50/p99, disk bytes per line and RSS, for the embedded candidates (DuckDB
 * behind our LogStore; chdb and PGlite with the same table design, driven directly) on the same seeded data.
 *
 *   node --import tsx bench/logs-store.ts [--lines 2000000] [--days 2] [--engines duckdb,duckdb-unsorted,chdb,pglite]
 *   node --import tsx bench/logs-store.ts --scale --lines 50000000 --days 30 [--run-rows 1000000]   # who at scale, DuckDB only
 *   node --import tsx bench/logs-store.ts --reuse       # does retention give DuckDB file space back for new lines?
 *
 * Each engine runs in its own child process (RSS is per process and chdb's 500 MB library must not weigh
 * on the others). The exported functions are what the team's `npm run bench:logs` calls for any LogStore.
 */
import { mulberry32 } from '../src/core/random.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessRecord } from '../src/logs/record.js';
import type { LogStore } from '../src/logs/store/log-store.js';

const DAY = 86_400_000;
const DAY0 = Date.UTC(2026, 11, 1);

/** A seeded source of realistic access records: Zipf URLs and clients, bots, 404s, IPv6, in time order. */
export function recordSource(total: number, days: number, seed = 42): { batch(n: number): AccessRecord[]; readonly urls: readonly string[] } {
  const rnd = mulberry32(seed);
  const zipf = (n: number): (() => number) => {
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) cdf[i] = acc += 1 / (i + 1);
    return () => {
      const x = rnd() * acc;
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
  };
  const sections = ['products', 'blog', 'docs', 'api/v2/items', 'static/img', 'wp-content/uploads/2026/11', 'search', 'user'];
  const urls = Array.from({ length: 100_000 }, (_, i) => `/${sections[i % sections.length]}/${(i * 2654435761) % 1_000_003}${i % 3 === 0 ? '.html' : ''}`);
  const clients = Array.from({ length: 200_000 }, (_, i) => (i % 7 === 0
    ? `2001:db8:${(i >> 8).toString(16)}::${(i & 255).toString(16)}`
    : `${(i * 7919) % 223 + 1}.${(i >> 8) & 255}.${i & 255}.${(i * 31) & 255}`));
  const agents = [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'curl/8.5.0', '',
  ];
  const referrers = ['', '', '', 'https://www.google.com/', 'https://example.com/blog/', 'https://t.co/x'];
  const statuses = [200, 200, 200, 200, 200, 200, 304, 301, 404, 404, 500, 503];
  const pickUrl = zipf(urls.length);
  const pickClient = zipf(clients.length);
  const servers = Array.from({ length: 500 }, (_, i) => `web-${String(i).padStart(3, '0')}`);
  let made = 0;
  return {
    urls,
    batch(n: number): AccessRecord[] {
      const out: AccessRecord[] = [];
      for (let i = 0; i < n && made < total; i++, made++) {
        out.push({
          ts: DAY0 + Math.floor((made / total) * days * DAY), server: servers[made % 500]!, client: clients[pickClient()]!,
          method: 'GET', url: urls[pickUrl()]!, query: rnd() < 0.1 ? 'utm_source=x' : '', protocol: 'HTTP/1.1',
          status: statuses[Math.floor(rnd() * statuses.length)]!, bytes: Math.floor(rnd() * 50_000), referrer: referrers[Math.floor(rnd() * referrers.length)]!,
          agent: agents[Math.floor(rnd() * agents.length)]!, vhost: 'www.example.com', user: '', durationMs: Math.round(rnd() * 2000) / 10,
        });
      }
      return out;
    },
  };
}

/** Inserts `total` records in batches of `batchSize`; answers lines per second of insert time (generation excluded). */
export async function measureIngest(insert: (b: AccessRecord[]) => Promise<void>, source: ReturnType<typeof recordSource>, total: number, batchSize = 10_000): Promise<number> {
  let spent = 0;
  for (let done = 0; done < total;) {
    const b = source.batch(batchSize);
    if (b.length === 0) break;
    const t = performance.now();
    await insert(b);
    spent += performance.now() - t;
    done += b.length;
  }
  return total / (spent / 1000);
}

/** p50 and p99 (ms) of `runs` who-queries for URLs drawn from `urls` (hot and tail alike) on day `day`. */
export async function measureWho(who: (url: string, from: number, to: number) => Promise<unknown>, urls: readonly string[], day: number, runs = 200): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Every 4th query a top-100 URL (the expensive kind: many clients), the others spread over the first 20,000.
    const url = urls[i % 4 === 0 ? (i * 7) % 100 : (i * 7919) % 20_000]!;
    const t = performance.now();
    await who(url, DAY0 + day * DAY, DAY0 + (day + 1) * DAY);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Bytes of every file under `dir`. */
export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

/** One engine's figures. */
export interface EngineFigures {
  readonly engine: string;
  readonly lines: number;
  readonly ingestLinesPerSec: number;
  readonly whoP50Ms: number;
  readonly whoP99Ms: number;
  readonly bytesPerLine: number;
  readonly rssMiB: number;
}

/** Ingest, who p50/p99 and bytes per line for any LogStore (what bench:logs calls for each engine). */
export async function benchLogStore(store: LogStore, lines: number, days: number): Promise<Omit<EngineFigures, 'rssMiB'>> {
  const source = recordSource(lines, days);
  const ingest = await measureIngest((b) => store.insert(b), source, lines);
  const who = await measureWho((url, from, to) => store.who({ url, prefix: false, from, to, limit: 100 }), source.urls, days - 1);
  const stats = await store.stats();
  return { engine: store.engine, lines: stats.lines, ingestLinesPerSec: ingest, whoP50Ms: who.p50, whoP99Ms: who.p99, bytesPerLine: stats.bytes / stats.lines };
}

/**
 * "Who visited URL X on day D" at a scale JS ingest cannot reach here in minutes: `lines` lines over `days`
 * days generated inside DuckDB (skewed URLs and clients, ~1,000 distinct agents), laid out exactly as the
 * engine lays them out (sorted runs of `runRows` in arrival order), then queried through the engine's who().
 */
export async function duckDbWhoAtScale(lines: number, days: number, runRows = 1_000_000): Promise<{ p50: number; p99: number; bytesPerLine: number }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const { SCHEMA, DELETE_RECENT, MOVE_RECENT, urlKey } = await import('../src/logs/store/duckdb-sql.js');
  const { DUCKDB_FILE, openDuckDbStore } = await import('../src/logs/store/duckdb-store.js');
  const dir = mkdtempSync(join(tmpdir(), 'vigia-bench-scale-'));
  try {
    const inst = await DuckDBInstance.create(join(dir, DUCKDB_FILE));
    const c = await inst.connect();
    for (const sql of SCHEMA) await c.run(sql);
    // URLs and their urlKey() from JS (the key is ours, not DuckDB's hash), joined by index below.
    await c.run('CREATE TEMP TABLE urlmap (i INTEGER, url VARCHAR, k INTEGER)');
    const ap = await c.createAppender('urlmap');
    for (let k = 0; k < 100_000; k++) {
      const url = `/products/${k}`;
      ap.appendInteger(k);
      ap.appendVarchar(url);
      ap.appendInteger(urlKey(url));
      ap.endRow();
    }
    ap.closeSync();
    for (let start = 0; start < lines; start += runRows) {
      const n = Math.min(runRows, lines - start);
      await c.run(`INSERT INTO access_recent SELECT ${DAY0} + ((${start} + g.i) * ${days * DAY} // ${lines}), 'web-' || (g.i % 500),
        CAST(floor(200000 * pow(random(), 2)) AS INTEGER) % 223 || '.' || CAST(floor(200000 * pow(random(), 2)) AS INTEGER) % 256 || '.1.' || (g.i % 256),
        'GET', m.url, '', 'HTTP/1.1', 200, 1000, '', 'agent ' || (g.i % 1000), 'www', '', -1, m.k
        FROM (SELECT i, CAST(floor(100000 * pow(random(), 3)) AS INTEGER) AS u FROM range(${n}) t(i)) g JOIN urlmap m ON m.i = g.u`);
      await c.run(MOVE_RECENT);
      await c.run(DELETE_RECENT);
    }
    await c.run('CHECKPOINT');
    c.closeSync();
    inst.closeSync();
    const store = await openDuckDbStore(dir);
    try {
      const urls = Array.from({ length: 20_000 }, (_, k) => `/products/${k}`);
      const who = await measureWho((url, from, to) => store.who({ url, prefix: false, from, to, limit: 100 }), urls, days - 1);
      const stats = await store.stats();
      return { ...who, bytesPerLine: stats.bytes / stats.lines };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Does retention give space back? 600,000 lines over 3 days, expire the first 2 days, 600,000 lines more:
 * the file sizes after each step (DuckDB reuses freed blocks; it does not shrink the file).
 */
export async function duckDbSpaceReuse(): Promise<{ first: number; afterExpire: number; afterMore: number }> {
  const { openDuckDbStore, DUCKDB_FILE } = await import('../src/logs/store/duckdb-store.js');
  const dir = mkdtempSync(join(tmpdir(), 'vigia-bench-reuse-'));
  try {
    const store = await openDuckDbStore(dir, { runRows: 200_000 });
    const source = recordSource(1_200_000, 6);
    const size = () => statSync(join(dir, DUCKDB_FILE)).size;
    for (let i = 0; i < 60; i++) await store.insert(source.batch(10_000));
    const first = size();
    await store.expire(DAY0 + 2 * DAY);
    const afterExpire = size();
    for (let i = 0; i < 60; i++) await store.insert(source.batch(10_000));
    const afterMore = size();
    await store.close();
    return { first, afterExpire, afterMore };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const COLS = ['ts', 'server', 'client', 'method', 'url', 'query', 'protocol', 'status', 'bytes', 'referrer', 'agent', 'vhost', 'usr', 'duration_ms'];
const row = (x: AccessRecord): unknown[] => [x.ts, x.server, x.client, x.method, x.url, x.query, x.protocol, x.status, x.bytes, x.referrer, x.agent, x.vhost, x.user, x.durationMs];

async function runEngine(engine: string, lines: number, days: number): Promise<EngineFigures> {
  const dir = mkdtempSync(join(tmpdir(), `vigia-bench-${engine}-`));
  try {
    let figures: Omit<EngineFigures, 'rssMiB'>;
    if (engine === 'duckdb' || engine === 'duckdb-unsorted') {
      // duckdb-unsorted: never moves lines into sorted runs, to show what the runs buy for `who`.
      const { openDuckDbStore } = await import('../src/logs/store/duckdb-store.js');
      const store = await openDuckDbStore(dir, engine === 'duckdb' ? {} : { runRows: Number.MAX_SAFE_INTEGER });
      figures = { ...(await benchLogStore(store, lines, days)), engine };
      await store.close();
    } else if (engine === 'chdb') {
      // The same design as the ClickHouse engine: MergeTree, daily partitions, ORDER BY (url, ts).
      const { Session } = await import('chdb');
      const session = new Session(dir);
      session.query(`CREATE TABLE access (ts DateTime64(3, 'UTC'), server LowCardinality(String), client String, method LowCardinality(String),
        url String, query String, protocol LowCardinality(String), status UInt16, bytes UInt64, referrer String, agent LowCardinality(String),
        vhost LowCardinality(String), usr String, duration_ms Float64) ENGINE = MergeTree PARTITION BY toDate(ts) ORDER BY (url, ts)`);
      const source = recordSource(lines, days);
      const ingest = await measureIngest(async (b) => {
        await session.insert({ table: 'access', columns: COLS, values: b.map(row) });
      }, source, lines);
      const who = await measureWho(async (url, from, to) => session.queryBindAsync(
        `SELECT client, count() AS hits, min(ts), max(ts) FROM access WHERE url = {url:String} AND ts >= fromUnixTimestamp64Milli({f:Int64}, 'UTC')
         AND ts < fromUnixTimestamp64Milli({t:Int64}, 'UTC') GROUP BY client ORDER BY hits DESC, client LIMIT 100`, { url, f: from, t: to }, { format: 'JSONCompact' }), source.urls, days - 1);
      const parts = JSON.parse(session.query("SELECT sum(bytes_on_disk) AS b, sum(rows) AS r FROM system.parts WHERE table = 'access' AND active", 'JSON')).data[0];
      figures = { engine, lines: Number(parts.r), ingestLinesPerSec: ingest, whoP50Ms: who.p50, whoP99Ms: who.p99, bytesPerLine: Number(parts.b) / Number(parts.r) };
      session.close();
    } else if (engine === 'pglite') {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = await PGlite.create(dir);
      await db.exec(`CREATE TABLE access (ts bigint, server text, client text, method text, url text, query text, protocol text, status smallint,
        bytes bigint, referrer text, agent text, vhost text, usr text, duration_ms double precision); CREATE INDEX access_url_ts ON access (url, ts)`);
      const types = ['bigint', 'text', 'text', 'text', 'text', 'text', 'text', 'smallint', 'bigint', 'text', 'text', 'text', 'text', 'float8'];
      const insertSql = `INSERT INTO access SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
      const source = recordSource(lines, days);
      const ingest = await measureIngest(async (b) => {
        const rows = b.map(row);
        await db.query(insertSql, COLS.map((_, c) => rows.map((r) => r[c])));
      }, source, lines);
      await db.exec('VACUUM ANALYZE access');
      const who = await measureWho((url, from, to) => db.query(
        'SELECT client, count(*) AS hits, min(ts), max(ts) FROM access WHERE url = $1 AND ts >= $2 AND ts < $3 GROUP BY client ORDER BY hits DESC, client COLLATE "C" LIMIT 100', [url, from, to]), source.urls, days - 1);
      await db.close();
      figures = { engine, lines, ingestLinesPerSec: ingest, whoP50Ms: who.p50, whoP99Ms: who.p99, bytesPerLine: dirBytes(dir) / lines };
    } else {
      throw new Error(`unknown engine ${engine}`);
    }
    return { ...figures, rssMiB: process.memoryUsage().rss / 2 ** 20 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const lines = Number(arg('lines', '2000000'));
  const days = Number(arg('days', '2'));
  const child = arg('child', '');
  if (process.argv.includes('--reuse')) {
    const r = await duckDbSpaceReuse();
    console.log(`duckdb file: ${r.first} bytes after 600,000 lines, ${r.afterExpire} after expiring 2 of 3 days, ${r.afterMore} after 600,000 more`);
    return;
  }
  if (process.argv.includes('--scale')) {
    const runRows = Number(arg('run-rows', '1000000'));
    const r = await duckDbWhoAtScale(lines, days, runRows);
    console.log(`duckdb, ${lines.toLocaleString('en')} lines over ${days} days (generated in SQL, sorted runs of ${runRows.toLocaleString('en')}): who p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.bytesPerLine.toFixed(1)} bytes/line`);
    return;
  }
  if (child) {
    process.stdout.write(`${JSON.stringify(await runEngine(child, lines, days))}\n`);
    return;
  }
  const rows: EngineFigures[] = [];
  for (const engine of arg('engines', 'duckdb,chdb,pglite').split(',')) {
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', engine, '--lines', String(lines), '--days', String(days)],
      { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 1 << 20 });
    if (r.status !== 0) {
      console.error(`${engine}: failed (${r.status ?? r.signal}) ${r.stderr.slice(-2000)}`);
      continue;
    }
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as EngineFigures);
  }
  const base = rows[0];
  console.log(`${lines.toLocaleString('en')} lines over ${days} days, who = "clients of URL X on the last day" (200 URLs, hot and tail)`);
  console.log('engine   | ingest lines/s | vs first | who p50 ms | who p99 ms | bytes/line | RSS MiB');
  for (const r of rows) {
    console.log(`${r.engine.padEnd(8)} | ${Math.round(r.ingestLinesPerSec).toLocaleString('en').padStart(14)} | ${(r.ingestLinesPerSec / base!.ingestLinesPerSec).toFixed(2).padStart(8)} | ${r.whoP50Ms.toFixed(1).padStart(10)} | ${r.whoP99Ms.toFixed(1).padStart(10)} | ${r.bytesPerLine.toFixed(1).padStart(10)} | ${r.rssMiB.toFixed(0).padStart(7)}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
