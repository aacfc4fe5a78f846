/**
 * Ingest rate of the ClickHouse store through the HTTP interface: openClickHouseStore -> test front -> chdb,
 * batches of 5,000 contract records (gzip JSONCompactEachRow), 4 in flight, as the collector sends.
 * `node --import tsx bench/logs-clickhouse-ingest.ts [lines]` (default 1 000 000). Prints lines/s, the
 * client-side CPU per line, and the wire bytes per line.
 */
import { openClickHouseStore } from '../src/logs/store/clickhouse-store.js';
import { contractRecords } from '../src/logs/store/log-store.contract.js';
import { startClickHouse } from '../test/support/clickhouse.js';

const LINES = Number(process.argv[2] ?? 1_000_000);
const BATCH = 5000;
const ch = await startClickHouse();
await ch.sql('CREATE DATABASE bench');
const store = await openClickHouseStore(`http://127.0.0.1:${ch.port}/bench`);
const pool = contractRecords(50_000, 1).map((r, i) => ({ ...r, ts: Date.now() - (i % 86_400) * 1000 }));
const batches: (typeof pool)[] = [];
for (let i = 0; i < LINES; i += BATCH) {
  const b = [];
  for (let j = 0; j < Math.min(BATCH, LINES - i); j++) b.push(pool[(i + j) % pool.length]!);
  batches.push(b);
}
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let next = 0;
await Promise.all(Array.from({ length: 4 }, async () => {
  while (next < batches.length) await store.insert(batches[next++]!);
}));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const stats = await store.stats();
console.log(`${stats.lines} lines stored in ${seconds.toFixed(1)} s: ${Math.round(stats.lines / seconds)} lines/s through HTTP into chdb`
  + ` (one process: client + front + engine, ${((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)} cores busy); disk ${(stats.bytes / stats.lines).toFixed(1)} B/line`);
await store.close();
await ch.stop();
