/**
 * Measures the ClickHouse table layout choices of the log store (docs/logs-clickhouse.md) on chdb: the same
 * N generated rows (Zipf-like URLs and clients, 10 days) in tables that differ only in ORDER BY / skip index,
 * then "who visited URL X" (one day, all days), "what did client C visit", disk bytes per line, and a daily
 * url x client rollup. `node --import tsx bench/logs-clickhouse-layout.ts [rows]` (default 10 000 000).
 * Prints one table; medians of 7 runs, engine-reported elapsed time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';

const ROWS = Number(process.argv[2] ?? 10_000_000);
const dir = mkdtempSync(join(tmpdir(), 'vigia-ch-layout-'));
const s = new Session(dir);
const DAY0 = Date.UTC(2026, 10, 27);
const COLUMNS = `ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)), server LowCardinality(String), client String CODEC(ZSTD(1)),
  method LowCardinality(String), url String CODEC(ZSTD(1)), query String CODEC(ZSTD(1)), protocol LowCardinality(String),
  status UInt16, bytes UInt64 CODEC(T64, ZSTD(1)), referrer String CODEC(ZSTD(1)), agent LowCardinality(String),
  vhost LowCardinality(String), user String CODEC(ZSTD(1)), duration_ms Float64 CODEC(Gorilla, ZSTD(1))`;
const LAYOUTS: Record<string, string> = {
  by_ts: `(${COLUMNS}) ENGINE = MergeTree PARTITION BY toDate(ts) ORDER BY ts`,
  by_url_ts: `(${COLUMNS}) ENGINE = MergeTree PARTITION BY toDate(ts) ORDER BY (url, ts)`,
  by_url_ts_bloom: `(${COLUMNS}, INDEX client_bloom client TYPE bloom_filter(0.01) GRANULARITY 4) ENGINE = MergeTree PARTITION BY toDate(ts) ORDER BY (url, ts)`,
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(sql: string, params: Record<string, string | number>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) runs.push((await s.queryBindAsync(sql, params, { format: 'JSONEachRow' })).elapsed * 1000);
  return median(runs);
}

const t0 = Date.now();
s.query(`CREATE TABLE src ${LAYOUTS.by_ts}`);
await s.queryAsync(`INSERT INTO src SELECT
  fromUnixTimestamp64Milli(toInt64(${DAY0} + intDiv(number * 864000000, ${ROWS}) + rand() % 1000), 'UTC'),
  concat('web-', leftPad(toString(rand(1) % 500), 3, '0')),
  IPv4NumToString(toUInt32(167772160 + floor(200000 * pow(randCanonical(2), 2)))),
  'GET', concat('/p/', toString(toUInt32(floor(100000 * pow(randCanonical(3), 4))))), '', 'HTTP/1.1',
  arrayElement([200, 200, 200, 200, 200, 200, 304, 404, 301, 500], rand(4) % 10 + 1), rand(5) % 100000,
  if(rand(6) % 3 = 0, concat('https://ref', toString(rand(7) % 1000), '.example/'), ''),
  concat('Mozilla/5.0 agent ', toString(toUInt32(floor(2000 * pow(randCanonical(8), 3))))), 'www.example.com', '', rand(9) % 5000 / 10
  FROM numbers(${ROWS})`);
const genS = (Date.now() - t0) / 1000;
for (const name of Object.keys(LAYOUTS)) {
  if (name === 'by_ts') continue;
  s.query(`CREATE TABLE ${name} ${LAYOUTS[name]}`);
  await s.queryAsync(`INSERT INTO ${name} SELECT * FROM src`);
}
for (const name of Object.keys(LAYOUTS)) await s.queryAsync(`OPTIMIZE TABLE ${name === 'by_ts' ? 'src' : name} FINAL`);

// A hot URL (rank 1), a middling one and a rare one; a busy client and a quiet one.
const urls = (await s.queryAsync('SELECT url, count() c FROM src GROUP BY url ORDER BY c DESC', { format: 'JSONEachRow' })).text().trim().split('\n').map((l) => JSON.parse(l) as { url: string; c: string });
const hot = urls[0]!; const mid = urls[Math.floor(urls.length / 10)]!; const rare = urls[Math.floor(urls.length / 2)]!;
const clients = (await s.queryAsync('SELECT client, count() c FROM src GROUP BY client ORDER BY c DESC', { format: 'JSONEachRow' })).text().trim().split('\n').map((l) => JSON.parse(l) as { client: string; c: string });
const busy = clients[0]!; const quiet = clients[Math.floor(clients.length / 2)]!;
const RANGE = "ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')";
const WHO = (t: string) => `SELECT client, count() hits, min(ts), max(ts) FROM ${t} WHERE url = {url:String} AND ${RANGE} GROUP BY client ORDER BY hits DESC, client LIMIT 100`;
const VISITS = (t: string) => `SELECT url, count() hits, min(ts), max(ts) FROM ${t} WHERE client = {ip:String} AND ${RANGE} GROUP BY url ORDER BY hits DESC, url LIMIT 100`;
const day = { from: DAY0 + 4 * 86_400_000, to: DAY0 + 5 * 86_400_000 };
const all = { from: DAY0, to: DAY0 + 10 * 86_400_000 };

const rows: string[][] = [];
for (const name of Object.keys(LAYOUTS)) {
  const t = name === 'by_ts' ? 'src' : name;
  const disk = (await s.queryAsync(`SELECT sum(bytes_on_disk) b FROM system.parts WHERE active AND table = '${t}'`, { format: 'JSONEachRow' })).json<{ b: string }>();
  rows.push([name,
    (await time(WHO(t), { ...day, url: mid.url })).toFixed(1), (await time(WHO(t), { ...all, url: hot.url })).toFixed(1),
    (await time(WHO(t), { ...all, url: mid.url })).toFixed(1), (await time(WHO(t), { ...all, url: rare.url })).toFixed(1),
    (await time(VISITS(t), { ...all, ip: busy.client })).toFixed(1), (await time(VISITS(t), { ...all, ip: quiet.client })).toFixed(1),
    (Number(disk.b) / ROWS).toFixed(1)]);
}
// The daily url x client rollup, fed as a materialized view would (here filled once from the same rows).
s.query(`CREATE TABLE rollup (day Date, url String, client String, hits UInt64, first SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last SimpleAggregateFunction(max, DateTime64(3, 'UTC')))
  ENGINE = SummingMergeTree PARTITION BY day ORDER BY (url, day, client)`);
await s.queryAsync('INSERT INTO rollup SELECT toDate(ts), url, client, count(), min(ts), max(ts) FROM src GROUP BY 1, 2, 3');
await s.queryAsync('OPTIMIZE TABLE rollup FINAL');
const rdisk = (await s.queryAsync("SELECT sum(bytes_on_disk) b, sum(rows) r FROM system.parts WHERE active AND table = 'rollup'", { format: 'JSONEachRow' })).json<{ b: string; r: string }>();
const RWHO = 'SELECT client, sum(hits) h, min(first), max(last) FROM rollup WHERE url = {url:String} AND day >= toDate(fromUnixTimestamp64Milli({from:Int64}, \'UTC\')) AND day < toDate(fromUnixTimestamp64Milli({to:Int64}, \'UTC\')) GROUP BY client ORDER BY h DESC, client LIMIT 100';
rows.push(['rollup (url, day, client)', (await time(RWHO, { ...day, url: mid.url })).toFixed(1), (await time(RWHO, { ...all, url: hot.url })).toFixed(1),
  (await time(RWHO, { ...all, url: mid.url })).toFixed(1), (await time(RWHO, { ...all, url: rare.url })).toFixed(1), '-', '-', `+${(Number(rdisk.b) / ROWS).toFixed(1)} (${rdisk.r} rows)`]);

console.log(`${ROWS} rows over 10 days generated in ${genS.toFixed(0)} s (chdb ${(await s.queryAsync('SELECT version() v', { format: 'JSONEachRow' })).json<{ v: string }>().v});`
  + ` hot url ${hot.url} ${hot.c} hits, mid ${mid.url} ${mid.c}, rare ${rare.url} ${rare.c}; busy client ${busy.c} hits, quiet ${quiet.c}`);
const head = ['layout', 'who mid url 1 day ms', 'who hot url 10 d ms', 'who mid url 10 d ms', 'who rare url 10 d ms', 'visits busy ip 10 d ms', 'visits quiet ip 10 d ms', 'disk B/line'];
console.log(head.join(' | '));
for (const r of rows) console.log(r.join(' | '));
s.close();
rmSync(dir, { recursive: true, force: true });
