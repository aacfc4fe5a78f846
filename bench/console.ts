/**
 * `npm run bench:console`: the web console of a real `vigia server` (the built binary, embedded
 * store) holding --hosts simulated hosts (default 10,000) with --days days of history, every page:
 *
 *   server   GET with the session cookie, --requests times one after the other (after 2 warm-up
 *            requests): median and p95 wall time over loopback, and the first (cold) request. The
 *            baseline is GET /healthz of the same server, measured the same way, in the same run.
 *   browser  the page opened --loads times in Debian's Chromium (playwright-core, headless, one
 *            context, assets cached as a returning user has them): median first contentful paint and
 *            DOMContentLoaded from the page's own performance entries. The baseline is the sign-in
 *            page (no data) in the same browser.
 *
 * The SLO page reads the SLO demo year (--slo-spec) and the logs page a real `vigia logs serve`
 * holding --log-lines access lines of the last day (imported with `vigia logs import`).
 *
 * Seeding goes through the store directly (no HTTP): the hosts are enrolled, then --per-day reports
 * per host per day (createFleetModel: three volumes, some filling, some dying), the last one minutes
 * ago; the store is closed and the server started on it. Target (issue 16): first paint < 1 s at
 * 10,000 hosts for every page. One table on stdout, progress on stderr; the temp dir, the server
 * and the browser are removed on exit, on an exception and on Ctrl-C.
 *
 * Flags: --hosts N (10000) --days D (7) --log-lines N (200000) --per-day N (reports per host per day, 1; the performance page
 *        reads every sample of its day, so its cost grows with this) --requests N (20) --loads N (5) --quick (1,000 hosts,
 *        2 days, 10 requests, 3 loads) --strict (exit 1 on a MISS)
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { hashToken, newToken } from '../src/core/auth.js';
import { NAV } from '../src/control/console/layout.js';
import { createFleetModel } from '../src/control/simulate/fleet-model.js';
import { writeDemo } from '../src/slo/demo/generate.js';
import { openControlStore } from '../src/control/store/sql-store.js';
import { launchChromium } from '../test/support/browser.js';
import { startControl, type ControlProcess } from '../test/support/control-process.js';
import { freePort } from '../test/support/ports.js';
import { tempDir } from '../test/support/tmp.js';
import { spawnVigia, VIGIA_BIN } from '../test/support/vigia-process.js';
import { installCleanup } from './support/cleanup.js';
import { intFlag, parseBenchArgs, progress } from './support/cli.js';
import { fmtMs, fmtRatio, median, table, verdict } from './support/report.js';

const { flags } = parseBenchArgs({
  usage: 'npm run bench:console -- [--hosts N] [--days D] [--per-day N] [--log-lines N] [--requests N] [--loads N] [--quick] [--strict]',
  options: { hosts: { type: 'string' }, days: { type: 'string' }, 'per-day': { type: 'string' }, 'log-lines': { type: 'string' }, requests: { type: 'string' }, loads: { type: 'string' } },
  connections: { default: 1, max: 1 },
});
const QUICK = flags.quick === true;
const HOSTS = intFlag('hosts', flags.hosts as string | undefined, QUICK ? 1000 : 10_000, 100_000);
const DAYS = intFlag('days', flags.days as string | undefined, QUICK ? 2 : 7, 90);
const PER_DAY = intFlag('per-day', flags['per-day'] as string | undefined, 1, 1440);
const LOG_LINES = intFlag('log-lines', flags['log-lines'] as string | undefined, QUICK ? 20_000 : 200_000, 10_000_000);
const REQUESTS = intFlag('requests', flags.requests as string | undefined, QUICK ? 10 : 20, 1000, 3);
const LOADS = intFlag('loads', flags.loads as string | undefined, QUICK ? 3 : 5, 100);
/** The target for first paint at 10,000 hosts. */
const FIRST_PAINT_TARGET_MS = 1000;
const DAY = 86_400_000;
const BATCH = 1000;

const cleanup = installCleanup({ signalMessage: 'bench:console interrupted; cleaning up', log: progress });

/** Enrol the fleet and write its history into the embedded store at `dataDir`; answers a host and its data volume. */
async function seed(dataDir: string, now: number): Promise<{ host: string; mount: string }> {
  const store = await openControlStore({ dataDir });
  try {
    const model = createFleetModel({ hosts: HOSTS, seed: 16, anchorMs: now - DAYS * DAY });
    await store.maintainPartitions(new Date(now), 90);
    let t = performance.now();
    const ids: number[] = [];
    for (let i = 0; i < HOSTS; i++) {
      ids.push((await store.enrollHost(model.hostName(i), `sha256:bench-${i}`, { ...model.profile(i).tags, simulated: 'true' }, new Date(now - (DAYS + 1) * DAY))).host.id);
    }
    progress(`enrolled ${HOSTS} hosts in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    let stored = 0;
    // --per-day reports a day (spread evenly), the last one 2 minutes ago; a one-hour interval
    // keeps the fleet fresh (not silent) for the whole run, except the hosts the model lets die.
    const step = DAY / PER_DAY;
    for (let k = DAYS * PER_DAY; k >= 0; k--) {
      const at = now - k * step - 120_000;
      for (let b = 0; b < HOSTS; b += BATCH) {
        const items = [];
        for (let i = b; i < Math.min(HOSTS, b + BATCH); i++) {
          if (!model.isAlive(i, at)) continue;
          items.push({ hostId: ids[i]!, receivedAt: new Date(at), source: 'push' as const, report: model.reportAt(i, at, 3600) });
        }
        stored += (await store.ingest(items)).filter((o) => o === 'stored').length;
      }
      if (k % PER_DAY === 0) progress(`day -${k / PER_DAY}: ${stored} reports stored`);
    }
    progress(`history: ${stored} reports in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const first = model.reportAt(0, now);
    const data = first.devices.find((v) => v.role === 'data') ?? first.devices[0]!;
    return { host: model.hostName(0), mount: data.mountpoint };
  } finally {
    await store.close();
  }
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * What the SLO and logs pages read, as `vigia up --demo` gives them: the SLO demo year (--slo-spec)
 * and a real `vigia logs serve` holding --log-lines access lines of the last 24 hours (2,000 paths,
 * 5,000 clients), imported with `vigia logs import`. Answers the server flags.
 */
async function pageSources(dir: string, now: number): Promise<string[]> {
  const slos = join(dir, 'slos');
  await writeDemo(slos, { seed: 16 });
  let text = '';
  for (let i = 0; i < LOG_LINES; i++) {
    const t = new Date(now - 86_400_000 + Math.floor((i / LOG_LINES) * 86_000_000));
    const ts = `${String(t.getUTCDate()).padStart(2, '0')}/${MON[t.getUTCMonth()]}/${t.getUTCFullYear()}:${t.toISOString().slice(11, 19)} +0000`;
    const status = i % 37 === 0 ? 404 : i % 101 === 0 ? 500 : 200;
    const client = (i * 7919) % 5000;
    text += `10.0.${Math.floor(client / 250)}.${client % 250} - - [${ts}] "GET /p/${(i * 31) % 2000} HTTP/1.1" ${status} ${i % 9000} "-" "bench"\n`;
  }
  writeFileSync(join(dir, 'access.log'), text);
  const t = performance.now();
  const imp = spawnSync(process.execPath, [VIGIA_BIN, 'logs', 'import', 'access.log', '--data-dir', 'logs', '--host', 'web-1'], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
  if (imp.status !== 0) throw new Error(`vigia logs import: ${imp.stderr}`);
  progress(`imported ${LOG_LINES} log lines in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const token = newToken();
  writeFileSync(join(dir, 'logs.tokens'), `${hashToken(token)} scopes=read name=console\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'logs.token'), `${token}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'shippers'), `${hashToken(newToken())} name=web-1\n`, { mode: 0o600 });
  const port = await freePort();
  const collector = await spawnVigia('vigia logs serve', ['logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', 'logs', '--tokens', 'logs.tokens', '--shipper-tokens', 'shippers'], {
    cwd: dir, ready: (c) => c.stderr().includes('log collector listening'), timeoutMs: 60_000,
  });
  cleanup.children.add(collector.child);
  return ['--slo-spec', slos, '--logs-server', `http://127.0.0.1:${port}`, '--logs-token-file', join(dir, 'logs.token')];
}

/** Sign in through a one-time link (POST /v1/console/login-links, as `vigia server login-link`); answers the cookie value. */
async function sessionCookie(server: ControlProcess): Promise<string> {
  const made = await fetch(`${server.url}/v1/console/login-links`, { method: 'POST', headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' }, body: '{}' });
  if (made.status !== 200) throw new Error(`login-links answered ${made.status}: ${await made.text()}`);
  const { path } = (await made.json()) as { path: string };
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
  await res.text();
  const m = /vigia_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  if (!m) throw new Error(`the login link answered ${res.status} without a session cookie`);
  return m[1]!;
}

/** Wall times (ms) of `n` sequential GETs after two warm-ups, and the first (cold) one. */
async function timeGets(url: string, cookie: string | undefined, n: number): Promise<{ first: number; times: number[]; bytes: number }> {
  const headers: Record<string, string> = cookie ? { cookie: `vigia_session=${cookie}` } : {};
  const once = async (): Promise<{ ms: number; bytes: number }> => {
    const t = performance.now();
    const res = await fetch(url, { headers, redirect: 'manual' });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    return { ms: performance.now() - t, bytes: body.byteLength };
  };
  const first = await once();
  await once();
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await once()).ms);
  return { first: first.ms, times, bytes: first.bytes };
}

/** The `q` quantile (0..1) of `xs`, nearest rank. */
function quantile(xs: readonly number[], q: number): number {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!;
}

/** Median first contentful paint and DOMContentLoaded (ms after navigation start) over `n` loads. */
async function paints(context: BrowserContext, url: string, n: number): Promise<{ fcp: number; dcl: number }> {
  const page = await context.newPage();
  try {
    const fcp: number[] = [];
    const dcl: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
      if (res?.status() !== 200) throw new Error(`${url} answered ${res?.status()} in the browser`);
      // First contentful paint lands after load on a heavy page: wait for it (bounded).
      const entry = await page.waitForFunction(() => {
        const p = performance.getEntriesByName('first-contentful-paint')[0];
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        return p && nav ? { fcp: p.startTime, dcl: nav.domContentLoadedEventEnd } : null;
      }, undefined, { timeout: 30_000 });
      const v = (await entry.jsonValue()) as { fcp: number; dcl: number };
      fcp.push(v.fcp);
      dcl.push(v.dcl);
    }
    return { fcp: median(fcp), dcl: median(dcl) };
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  const work = tempDir('vigia-bench-console-');
  cleanup.dirs.push(work);
  const now = Date.now();
  progress(`seeding ${HOSTS} hosts with ${DAYS} days of history (embedded store)`);
  const sample = await seed(join(work.dir, 'data'), now);
  const sources = await pageSources(work.dir, now);
  // One client asks every page many times in a row: the per-address limit (default 20/s, burst 100
  // for the console) would answer 429 and measure the limiter, not the pages.
  const server = await startControl({ dir: work.dir, args: [...sources, '--rate-limit', '10000/10000'] });
  cleanup.children.add(server.child);
  const cookie = await sessionCookie(server);
  progress(`vigia server on ${server.url}; console session made`);

  const yesterday = new Date(now - DAY).toISOString().slice(0, 10);
  const pages: Array<readonly [string, string]> = [
    ['overview', '/ui/'],
    ['hosts', '/ui/hosts'],
    ['hosts search', `/ui/hosts?q=${encodeURIComponent(sample.host.slice(0, -1))}&tag=simulated%3Dtrue`],
    ['hosts page 50', '/ui/hosts?page=50'],
    ['host detail', `/ui/hosts/${encodeURIComponent(sample.host)}`],
    ['capacity', '/ui/capacity'],
    ['capacity page 50', '/ui/capacity?page=50'],
    ['volume chart', `/ui/capacity/chart?host=${encodeURIComponent(sample.host)}&mount=${encodeURIComponent(sample.mount)}`],
    ['performance', `/ui/performance?day=${yesterday}`],
    ['audit', '/ui/audit'],
    ['rollouts', '/ui/rollouts'],
    ['runs', '/ui/runs'],
    ['slo (demo year)', '/ui/slo?period=2025'],
    ['logs (last 24h)', '/ui/logs'],
    ['logs: who visited', '/ui/logs?url=%2Fp%2F7'],
  ];
  // Nav entries added later are measured too, as they land.
  const covered = new Set(pages.map(([, p]) => p.split('?')[0]));
  for (const n of NAV) if (!covered.has(n.href)) pages.push([n.id, n.href]);

  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name: 'vigia_session', value: cookie, url: `${server.url}/ui/`, httpOnly: true, sameSite: 'Strict' }]);
    progress('baselines: GET /healthz; the sign-in page in the browser');
    const base = await timeGets(`${server.url}/healthz`, undefined, REQUESTS);
    const baseMs = median(base.times);
    const loginContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const basePaint = await paints(loginContext, `${server.url}/ui/login`, LOADS);
    await loginContext.close();

    const rows: string[][] = [['page', 'KB', 'server first ms', 'server median ms', 'p95 ms', 'x /healthz', 'first paint ms', 'DCL ms', 'x sign-in', `paint < ${FIRST_PAINT_TARGET_MS} ms`]];
    rows.push(['/healthz (baseline)', (base.bytes / 1024).toFixed(1), fmtMs(base.first), fmtMs(baseMs), fmtMs(quantile(base.times, 0.95)), '1.00', '-', '-', '-', '-']);
    rows.push(['sign-in page (baseline)', '-', '-', '-', '-', '-', fmtMs(basePaint.fcp), fmtMs(basePaint.dcl), '1.00', '-']);
    let miss = false;
    for (const [name, path] of pages) {
      progress(`${name}: ${path}`);
      const s = await timeGets(`${server.url}${path}`, cookie, REQUESTS);
      const p = await paints(context, `${server.url}${path}`, LOADS);
      const ok = p.fcp < FIRST_PAINT_TARGET_MS;
      miss ||= !ok;
      const m = median(s.times);
      rows.push([name, (s.bytes / 1024).toFixed(1), fmtMs(s.first), fmtMs(m), fmtMs(quantile(s.times, 0.95)), fmtRatio(m / baseMs), fmtMs(p.fcp), fmtMs(p.dcl), fmtRatio(p.fcp / basePaint.fcp), verdict(ok)]);
    }
    process.stdout.write(`console at ${HOSTS.toLocaleString('en-US')} hosts, ${DAYS} days of history at ${PER_DAY} report(s) per host per day (embedded store); server: ${REQUESTS} sequential GETs over loopback with the session cookie; browser: median of ${LOADS} loads in Chromium ${browser.version()} at 1280x800\n`);
    process.stdout.write(`${table(rows, [false, true, true, true, true, true, true, true, true, false])}\n`);
    if (miss && flags.strict === true) process.exitCode = 1;
  } finally {
    await browser.close();
    await server.stop();
    cleanup.children.delete(server.child);
  }
  cleanup.killAllSync();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:console: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  cleanup.killAllSync();
  process.exit(1);
});
