/**
 * `node --import tsx bench/control-token-miss.ts [--hosts N] [--ops N] [--pglite-only]`: what one host-token
 * authentication costs the control plane, by path through HostAuth (src/control/host-auth.ts), against
 * a store holding N enrolled hosts (default 10,000): a real PostgreSQL (test/support/postgres.ts, production
 * durability) and the embedded PGlite. Printed per path: median µs per authentication over 5 rounds of
 * --ops sequential authentications (default 2,000), and the ratio to a cache hit measured in the same run.
 *
 *   hit          a known token within its cache lifetime (every report but one per 5 minutes)
 *   unknown-hit  a guess seen in the last 30 s (negative cache)
 *   revalidate   a known token whose entry expired: one query by hash on the unique index
 *   miss         a token never seen (a guess): the same query, answered "no such host"
 *   select-1     the store's round trip alone (`SELECT 1`), to tell query cost from driver cost
 *
 * Sequential on purpose: the figure is the cost of one, not the throughput of many.
 */
import { hashToken } from '../src/core/auth.js';
import { HostAuth } from '../src/control/host-auth.js';
import { openControlStore, type SqlControlStore } from '../src/control/store/sql-store.js';
import { startPostgres } from '../test/support/postgres.js';
import { tempDir } from '../test/support/tmp.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const HOSTS = arg('hosts', 10_000);
const OPS = arg('ops', 2000);
const ROUNDS = 5;

const tokenOf = (i: number): string => `bench-token-${String(i).padStart(8, '0')}-${'x'.repeat(20)}`;

async function seed(store: SqlControlStore): Promise<void> {
  for (let from = 0; from < HOSTS; from += 1000) {
    const values: string[] = [];
    const params: string[] = [];
    for (let i = from; i < Math.min(HOSTS, from + 1000); i++) {
      params.push(`h-${i}`, hashToken(tokenOf(i)));
      values.push(`($${params.length - 1}, $${params.length})`);
    }
    await store.database.query(`INSERT INTO hosts (name, token_hash) VALUES ${values.join(',')}`, params);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(store: SqlControlStore): Promise<Record<string, number>> {
  let now = 0;
  const auth = new HostAuth(store, { now: () => now, ttlMs: 1000, negativeTtlMs: 1000 });
  const header = (i: number): string => `Bearer ${tokenOf(i % HOSTS)}`;
  const guess = (round: number, i: number): string => `Bearer guess-${round}-${i}-${'y'.repeat(24)}`;
  const time = async (fn: (i: number) => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) await fn(i);
    return ((performance.now() - t0) * 1000) / OPS;
  };
  const per: Record<string, number[]> = { hit: [], 'unknown-hit': [], revalidate: [], miss: [], 'select-1': [] };
  for (let round = 0; round < ROUNDS; round++) {
    now += 10_000; // every entry expired: the first pass re-validates
    per.revalidate!.push(await time((i) => auth.authenticate(header(i))));
    per.hit!.push(await time((i) => auth.authenticate(header(i))));
    per.miss!.push(await time((i) => auth.authenticate(guess(round, i))));
    per['unknown-hit']!.push(await time((i) => auth.authenticate(guess(round, i))));
    per['select-1']!.push(await time(() => store.database.query('SELECT 1')));
  }
  return Object.fromEntries(Object.entries(per).map(([k, v]) => [k, median(v)]));
}

async function main(): Promise<void> {
  const results: [string, Record<string, number>][] = [];
  if (!process.argv.includes('--pglite-only')) {
    const pg = await startPostgres({ durable: true });
    try {
      const store = await openControlStore({ database: pg.url });
      await seed(store);
      results.push(['PostgreSQL', await measure(store)]);
      await store.close();
    } finally {
      await pg.stop();
    }
  }
  const tmp = tempDir('vigia-bench-miss-');
  try {
    const store = await openControlStore({ dataDir: tmp.dir });
    await seed(store);
    results.push(['PGlite', await measure(store)]);
    await store.close();
  } finally {
    tmp.remove();
  }
  console.log(`host-token authentication, ${HOSTS} hosts, median of ${ROUNDS} rounds x ${OPS} sequential (µs each; ratio to a cache hit)`);
  console.log(`| path | ${results.map(([s]) => s).join(' | ')} |`);
  console.log(`|---|${results.map(() => '---:').join('|')}|`);
  for (const path of ['hit', 'unknown-hit', 'revalidate', 'miss', 'select-1']) {
    console.log(`| ${path} | ${results.map(([, r]) => `${r[path]!.toFixed(1)} (×${(r[path]! / r.hit!).toFixed(0)})`).join(' | ')} |`);
  }
}

await main();
