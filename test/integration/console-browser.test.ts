/**
 * The web console in a real headless Chromium (Debian's, driven by playwright-core) against a real
 * control plane (test/support/console.ts: the control server over PGlite on a free port, the real
 * page registry): sign-in through a printed one-time link, every page rendered with data and with
 * no console error or CSP violation, a uPlot chart that really draws, read-only sessions without
 * buttons and refused anyway, CSRF refusals, inert XSS payloads, keyboard navigation, phone width.
 * Screenshots of every page (1280 px and 390 px) are kept under .artifacts/console/.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hashToken, newToken } from '../../src/core/auth.js';
import type { HostReport } from '../../src/core/contracts/host-report.js';
import { writeDemo } from '../../src/slo/demo/generate.js';
import { createLoginLink } from '../../src/control/console/api-routes.js';
import { createLogsClient } from '../../src/control/console/logs-client.js';
import { NAV } from '../../src/control/console/layout.js';
import type { ConsoleAction } from '../../src/control/console/page.js';
import { ACTIONS, PAGES, STREAMS } from '../../src/control/console/registry.js';
import { SessionStore } from '../../src/control/console/session-store.js';
import { createSloRunner } from '../../src/control/console/slo-source.js';
import { launchChromium, screenshot, watchedPage, type WatchedPage } from '../support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from '../support/console.js';
import { fakeAgent, fleetFor, fleetHandles, publish, type FakeAgent } from '../support/console-fleet.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/tmp.js';
import { spawnVigia, VIGIA_BIN, type VigiaChild } from '../support/vigia-process.js';

const run = promisify(execFile);
const XSS_SCRIPT = '<script>window.__xss=1</script>';
const XSS_IMG = '<img src=x onerror=window.__xss=1>';
/** A mountpoint holding markup: it reaches the capacity table, the chart's JSON block and uPlot's title. */
const XSS_MOUNT = `/data/${XSS_IMG}`;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const tmp = tempDir('vigia-console-browser-');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// The logged day: two days ago, UTC midnight (inside the collector's retention, which runs at its start).
const LOG_DAY = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
const utcMinute = (t: number): string => new Date(t).toISOString().slice(0, 16);
const LOG_RANGE = `range=custom&from=${encodeURIComponent(utcMinute(LOG_DAY))}&to=${encodeURIComponent(utcMinute(LOG_DAY + DAY))}`;
/** A logged URL holding a script. */
const XSS_URL = `/${XSS_SCRIPT}`;

let w: ConsoleWorld;
const fleet = fleetHandles();
/** Hosts that speak the agent API (fleet runs reach them). */
const agents: FakeAgent[] = [];
let collector: VigiaChild | undefined;
let browser: Browser;
let admin: BrowserContext;
let probeHits = 0;

/** An admin-only action (the real ones land with the rollouts and runs pages): proves the wrapper every action gets. */
const probe: ConsoleAction = {
  name: '/ui/test/probe', path: /^\/ui\/test\/probe$/, scope: 'admin',
  handle: async () => {
    probeHits++;
    return { fragment: '<p>probed</p>' };
  },
};

function report(host: string, at: Date, mount: string, usedPct: number, checkState: 'OK' | 'CRITICAL'): HostReport {
  const size = 100e9;
  return {
    v: 1, host, sampled_at: at.toISOString(), interval_seconds: 60, agent: { version: 'test' }, tags: { note: XSS_SCRIPT },
    system: { cpu: { user_pct: 20 + usedPct / 5, system_pct: 5, iowait_pct: 1, steal_pct: 0, idle_pct: 60, cpus: 8 }, load1: 1, load5: 1, load15: 1, mem_total_bytes: 64e9, mem_used_pct: 50, swap_used_pct: 0, uptime_seconds: 86_400, disks: [] },
    devices: [{ mountpoint: mount, device: '/dev/sdb', fstype: 'xfs', role: 'data', read_only: false, size_bytes: size, used_bytes: Math.round(size * usedPct / 100), avail_bytes: Math.round(size * (1 - usedPct / 100)), use_pct: Math.ceil(usedPct), inodes_total: 1000, inodes_used: 10, inode_use_pct: 1, error: null }],
    checks: { release: 1, results: [{ name: 'mysql.replication', state: checkState, output: `lag ${XSS_IMG}`, at: at.toISOString(), duration_ms: 5 }] },
  };
}

/** A small fleet with every kind of problem, and markup in every host-supplied field. */
async function seed(): Promise<void> {
  const now = new Date(w.clock.now);
  const week = new Date(now.getTime() - 7 * DAY);
  await w.store.maintainPartitions(now, 90);
  await w.store.enrollHost('db-1', 'sha256:x1', { role: 'mysql', owner: XSS_SCRIPT }, week);
  await w.store.enrollHost('db-2', 'sha256:x2', { role: 'mysql', xss: XSS_IMG }, week);
  await w.store.enrollHost('web-1', 'sha256:x3', { role: 'web' }, week);
  for (let i = 0; i < 230; i++) await w.store.enrollHost(`bulk-${String(i).padStart(3, '0')}`, `sha256:b${i}`, { rack: i % 2 === 0 ? 'a' : 'b' }, week);
  const ids = new Map((await w.handle.query<{ id: number; name: string }>('SELECT id, name FROM hosts')).map((r) => [r.name, r.id]));
  const items = [];
  for (let h = 0; h < 6 * 24; h++) {
    // Hourly for six days, the last one 30 s ago: both hosts report; the bulk hosts never did.
    const at = new Date(now.getTime() - (6 * 24 - 1 - h) * HOUR - 30_000);
    items.push({ hostId: ids.get('db-1')!, receivedAt: at, source: 'push' as const, report: report('db-1', at, '/var/lib/mysql', 80 + h / 10, 'CRITICAL') });
    items.push({ hostId: ids.get('db-2')!, receivedAt: at, source: 'push' as const, report: report('db-2', at, XSS_MOUNT, 85 + h / 20, 'OK') });
  }
  const outcomes = await w.store.ingest(items);
  assert.ok(outcomes.every((o) => o === 'stored'), outcomes.join(','));
  await w.store.audit('ops', 'test.xss', { note: XSS_SCRIPT, img: XSS_IMG });
}

/**
 * A real log collector (`vigia logs serve`) holding one imported day of access lines, a few of them
 * for a URL holding a script; answers a client the logs page asks, as `--logs-server` wires it.
 */
async function startCollector(): Promise<ReturnType<typeof createLogsClient>> {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const ts = new Date(LOG_DAY + HOUR + i * 30_000);
    const t = `${String(ts.getUTCDate()).padStart(2, '0')}/${MON[ts.getUTCMonth()]}/${ts.getUTCFullYear()}:${ts.toISOString().slice(11, 19)} +0000`;
    const url = i % 50 === 0 ? XSS_URL : `/shop/${i % 4}`;
    lines.push(`192.0.2.${i % 7} - - [${t}] "GET ${url} HTTP/1.1" ${i % 10 === 0 ? 404 : 200} ${i} "-" "agent"`);
  }
  writeFileSync(join(tmp.dir, 'access.log'), `${lines.join('\n')}\n`);
  const imp = spawnSync(process.execPath, [VIGIA_BIN, 'logs', 'import', 'access.log', '--data-dir', 'logs', '--host', 'web-1'], { encoding: 'utf8', timeout: 60_000, cwd: tmp.dir });
  assert.equal(imp.status, 0, imp.stderr);
  const token = newToken();
  writeFileSync(join(tmp.dir, 'tokens'), `${hashToken(token)} scopes=read name=console\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'shippers'), `${hashToken(newToken())} name=web-1\n`, { mode: 0o600 });
  const port = await freePort();
  collector = await spawnVigia('vigia logs serve', ['logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', 'logs', '--tokens', 'tokens', '--shipper-tokens', 'shippers'], {
    cwd: tmp.dir, ready: (c) => c.stderr().includes('log collector listening'), timeoutMs: 60_000,
  });
  return createLogsClient({ url: `http://127.0.0.1:${port}`, token });
}

/** The SLO demo year's specs (one SLO renamed to markup), reported by `vigia slo report` as `--slo-spec` wires it. */
async function sloSource(): Promise<ReturnType<typeof createSloRunner>> {
  const dir = join(tmp.dir, 'slos');
  await writeDemo(dir, { seed: 3 });
  const spec = readFileSync(join(dir, 'slos.yaml'), 'utf8');
  const renamed = spec.replace('displayName: A deploy at least every 3.5 hours', `displayName: "${XSS_IMG} deploys"`);
  assert.notEqual(renamed, spec, 'the demo spec still has the SLO this test renames');
  writeFileSync(join(dir, 'slos.yaml'), renamed);
  return createSloRunner({ command: [process.execPath, VIGIA_BIN], specPaths: [dir], period: '2025' });
}

before(async () => {
  const [logs, slo] = await Promise.all([startCollector(), sloSource()]);
  w = await startConsoleWorld({ units: { pages: PAGES, actions: [...ACTIONS, probe], streams: STREAMS }, logs, slo }, undefined, fleetFor(fleet));
  // Release 1 completes at once on the empty fleet; after the hosts, release 2 rolls out in two
  // waves with a soak the frozen clock never reaches, so it stays in progress, in wave 1.
  await publish(fleet.bundles!, 1, 'one', { soak_ms: 0, waves: [100] });
  await fleet.rollouts!.tick();
  await seed();
  for (let i = 0; i < 3; i++) agents.push(await fakeAgent(w, `runner-${i}`, { role: 'runner' }));
  await publish(fleet.bundles!, 2, 'two', { soak_ms: 3_600_000, waves: [50, 100], auto_rollback: false }, 'one');
  await fleet.rollouts!.tick();
  browser = await launchChromium();
  // Each test stands alone (--test-name-pattern): the admin context signs in here, through a link
  // made in-process as `vigia up` makes it; the first test signs in through the printed one.
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  (await signInWith(admin, await linkFor('ops', ['read', 'admin', 'run']))).page.close();
});
after(async () => {
  await browser?.close();
  await fleet.close();
  await w?.close();
  await collector?.stop();
  tmp.remove();
});

/** Open `path` and wait for the page's scripts; its HTTP status must be `status`. */
async function open(page: Page, path: string, status = 200): Promise<void> {
  const res = await page.goto(`${w.base}${path}`, { waitUntil: 'load' });
  assert.equal(res?.status(), status, `GET ${path}: ${(await page.locator('main').innerText().catch(() => '')).slice(0, 200)}`);
}

/** Run the built `vigia` with `args` and the ops token's file against the world's server; answers its stdout. */
async function vigia(...args: string[]): Promise<string> {
  const tokenFile = join(tmp.dir, 'ops.token');
  await writeFile(tokenFile, `${w.adminToken}\n`, { mode: 0o600 });
  const { stdout } = await run(process.execPath, [VIGIA_BIN, ...args, '--server', w.base, '--token-file', tokenFile], { timeout: 30_000 });
  return stdout;
}

/** `vigia server login-link` as an operator runs it: answers the printed URL. */
async function printedLoginLink(): Promise<string> {
  return (await vigia('server', 'login-link')).trim();
}

/** `vigia rollout status --json`: the rollout as the command line sees it. */
async function rolloutStatus(): Promise<{ id: number; state: string; reason: string }> {
  return JSON.parse(await vigia('rollout', 'status', '--json')) as { id: number; state: string; reason: string };
}

/** A one-time login link made in-process (createLoginLink, as `vigia up` does). */
async function linkFor(name: string, scopes: string[]): Promise<string> {
  const link = await createLoginLink(new SessionStore(w.handle), { name, scopes }, 'ops', new Date(w.clock.now));
  return `${w.base}${link.path}`;
}

async function signInWith(context: BrowserContext, link: string): Promise<WatchedPage> {
  const wp = await watchedPage(context);
  const res = await wp.page.goto(link);
  assert.equal(res?.status(), 200, `the login link answered ${res?.status()}`);
  // The "Signed in" page moves on to the overview by itself (a same-site navigation, so the
  // SameSite=Strict cookie goes with it).
  await wp.page.waitForURL(`${w.base}/ui/`);
  return wp;
}

/** Every page with the text that shows its data is there. */
const DATA_PAGES: ReadonlyArray<readonly [name: string, path: string, expect: string]> = [
  ['overview', '/ui/', 'mysql.replication'],
  ['hosts', '/ui/hosts', '236 hosts'],
  ['hosts-search', '/ui/hosts?q=db&tag=role%3Dmysql', '2 hosts match'],
  ['hosts-page-3', '/ui/hosts?page=3', 'Page 3 of 3'],
  ['host-detail', '/ui/hosts/db-1', '/var/lib/mysql'],
  ['capacity', '/ui/capacity', '/var/lib/mysql'],
  ['capacity-chart', `/ui/capacity/chart?host=db-2&mount=${encodeURIComponent(XSS_MOUNT)}`, 'db-2'],
  ['performance', '/ui/performance', 'db-1'],
  ['audit', '/ui/audit', 'test.xss'],
  ['rollouts', '/ui/rollouts', 'Wave'],
  ['runs', '/ui/runs', 'Preview (dry run)'],
  ['slo', '/ui/slo', 'deploys'],
  ['logs', `/ui/logs?${LOG_RANGE}`, 'The collector holds 600 lines'],
  ['logs-who', `/ui/logs?${LOG_RANGE}&url=${encodeURIComponent(XSS_URL)}`, '7 clients'],
];
/** Nav entries whose page is not on this branch yet (filled by the first test). */
const notYet: string[] = [];

function allPages(): Array<readonly [string, string, string | undefined]> {
  const covered = new Set(DATA_PAGES.map(([, p]) => p.split('?')[0]));
  return [...DATA_PAGES, ...NAV.filter((n) => !covered.has(n.href)).map((n) => [n.id, n.href, undefined] as const)];
}

test('sign-in through the printed one-time link: HttpOnly SameSite=Strict cookie, the link works once', async () => {
  const link = await printedLoginLink();
  assert.match(link, new RegExp(`^${w.base.replace(/[.]/g, '\\.')}/ui/login/[A-Za-z0-9_-]+$`));
  const ctx = await browser.newContext();
  const { page, problems } = await signInWith(ctx, link);
  assert.equal(await page.locator('h1').innerText(), 'Fleet overview');
  assert.match(await page.locator('.who').innerText(), /Signed in as ops/);
  const cookie = (await ctx.cookies()).find((c) => c.name === 'vigia_session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/ui');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page script cannot read the session');
  assert.deepEqual(problems, []);
  await ctx.close();

  const other = await browser.newContext();
  const again = await watchedPage(other);
  const res = await again.page.goto(link);
  assert.equal(res?.status(), 401, 'a used link is refused');
  assert.match(await again.page.locator('main').innerText(), /CONTROL_ERR_LOGIN_LINK/);
  await other.close();
});

test('every page renders its data, with no console error, no CSP violation, no XSS; screenshots at 1280 and 390 px', async (t) => {
  const { page, problems } = await watchedPage(admin);
  const wide: string[] = [];
  let chartsSeen = 0;
  for (const [name, path, expect] of allPages()) {
    await page.setViewportSize({ width: 1280, height: 800 });
    await open(page, path);
    const main = await page.locator('main').innerText();
    assert.ok((await page.locator('h1').innerText()).length > 0, `${path}: a heading`);
    if (expect !== undefined) assert.ok(main.includes(expect), `${path}: "${expect}" not on the page`);
    else if (/Not available yet/.test(main)) notYet.push(path);
    assert.equal(await page.locator('main img, main script:not([type="application/json"]), main iframe').count(), 0, `${path}: an element made from data`);
    const charts = await page.locator('main [data-chart]').count();
    assert.equal(await page.locator('main [data-chart] canvas').count(), charts, `${path}: every chart island drawn by uPlot`);
    chartsSeen += charts;
    await screenshot(page, `${name}-1280`);
    // Reloaded at phone width: charts take their width when drawn.
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, path);
    await screenshot(page, `${name}-390`);
    if (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)) wide.push(path);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, `${path}: an XSS payload ran`);
    assert.deepEqual(problems, [], `${path}: ${JSON.stringify(problems)}`);
  }
  assert.ok(chartsSeen >= 3, `charts drawn: ${chartsSeen} (the volume, the logs per minute, the SLO budgets)`);
  assert.ok(!wide.includes('/ui/'), 'no horizontal scroll on the overview at 390 px');
  if (wide.length > 0) t.diagnostic(`wider than 390 px: ${wide.join(' ')}`);
  if (notYet.length > 0) t.diagnostic(`not available yet on this branch: ${notYet.join(' ')}`);
  await page.close();
});

test('host-supplied markup shows as text and never runs', async () => {
  const { page, problems } = await watchedPage(admin);
  await open(page, '/ui/hosts?q=db');
  const hosts = await page.locator('main').innerText();
  assert.ok(hosts.includes(`owner=${XSS_SCRIPT}`), 'the operator tag holding a script shows as text');
  assert.ok(hosts.includes(`xss=${XSS_IMG}`), 'the tag holding an img shows as text');
  assert.ok(hosts.includes(`note=${XSS_SCRIPT}`), 'the reported tag shows as text');
  await open(page, '/ui/hosts/db-1');
  assert.ok((await page.locator('main').innerText()).includes(`lag ${XSS_IMG}`), 'check output shows as text');
  await open(page, '/ui/capacity');
  assert.ok((await page.locator('main').innerText()).includes(XSS_MOUNT), 'the mountpoint shows as text');
  await open(page, '/ui/audit');
  assert.ok((await page.locator('main').innerText()).includes('test.xss'));
  await open(page, `/ui/logs?${LOG_RANGE}`);
  assert.ok((await page.locator('main').innerText()).includes(XSS_URL), 'a logged URL holding a script shows as text');
  await open(page, '/ui/slo');
  assert.ok((await page.locator('main').innerText()).includes(`${XSS_IMG} deploys`), 'an SLO name holding markup shows as text');
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

/** Pixels of the canvas under `selector` drawn in uPlot's first series colour (console.js: #0b5fad). */
async function seriesPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(`${sel} canvas`);
    if (!c) return -1;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - 0x0b) < 40 && Math.abs(d[i + 1]! - 0x5f) < 40 && Math.abs(d[i + 2]! - 0xad) < 40 && d[i + 3]! > 128) n++;
    return n;
  }, selector);
}

test('capacity: Chart loads the volume on demand (htmx) and uPlot draws its series', async () => {
  const { page, problems } = await watchedPage(admin);
  await open(page, '/ui/capacity');
  const row = page.locator('tr', { hasText: '/var/lib/mysql' }).first();
  const link = row.getByRole('link', { name: 'Chart' });
  const target = await link.getAttribute('hx-target');
  assert.ok(target?.startsWith('#chart-'), `hx-target ${target}`);
  await link.click();
  await page.locator(`${target} canvas`).first().waitFor({ state: 'attached' });
  assert.equal(page.url(), `${w.base}/ui/capacity`, 'htmx swapped the chart in; no navigation');
  const drawn = await seriesPixels(page, target!);
  assert.ok(drawn > 100, `the used-bytes series is drawn (${drawn} pixels of its colour)`);
  await screenshot(page, 'capacity-chart-open-1280');
  // The chart whose title holds markup (uPlot sets it as text).
  await open(page, `/ui/capacity/chart?host=db-2&mount=${encodeURIComponent(XSS_MOUNT)}`);
  await page.locator('.chart canvas').first().waitFor({ state: 'attached' });
  assert.ok(await seriesPixels(page, '.chart') > 100);
  assert.ok((await page.locator('.u-title').innerText()).includes(XSS_IMG));
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

test('keyboard: the first Tab reaches a skip link to the content, then the nav and the page', async () => {
  const { page, problems } = await watchedPage(admin);
  await open(page, '/ui/');
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ text: document.activeElement?.textContent, cls: document.activeElement?.className, left: document.activeElement?.getBoundingClientRect().left ?? -1 }));
  assert.equal(first.text, 'Skip to content');
  assert.ok(first.left >= 0, 'the skip link shows when focused');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'the skip link moves focus to the content');
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => Boolean(document.activeElement?.closest('main'))), 'the next Tab is inside the content');

  await open(page, '/ui/');
  const reached = { nav: false, main: false };
  for (let i = 0; i < 40 && !(reached.nav && reached.main); i++) {
    await page.keyboard.press('Tab');
    const where = await page.evaluate(() => ({ nav: Boolean(document.activeElement?.closest('nav.main')), main: Boolean(document.activeElement?.closest('main')) }));
    reached.nav ||= where.nav;
    reached.main ||= where.main;
  }
  assert.deepEqual(reached, { nav: true, main: true }, 'Tab reaches the nav and the content');
  assert.deepEqual(problems, []);
  await page.close();
});

test('rollouts: paused from the console (button, confirmation, form) is paused for `vigia rollout status`; an open page follows live', async () => {
  const watcher = await watchedPage(admin);
  await open(watcher.page, '/ui/rollouts');
  const live = watcher.page.locator('[data-live="/ui/rollouts/events"]');
  assert.match(await live.innerText(), /running/);
  assert.equal((await rolloutStatus()).state, 'running');

  const { page, problems } = await watchedPage(admin);
  await open(page, '/ui/');
  assert.match(await page.locator('main').innerText(), /Rollout in progress/);
  await open(page, '/ui/rollouts');
  await page.locator('a.button[href*="step=pause"]').click();
  await page.waitForURL(/\/ui\/rollouts\/confirm\?/);
  await screenshot(page, 'rollouts-confirm-pause-1280');
  await page.locator('form[action="/ui/rollouts/pause"] button[type="submit"]').click();
  await page.waitForURL(`${w.base}/ui/rollouts?done=pause`);
  const status = await rolloutStatus();
  assert.equal(status.state, 'paused');
  assert.match(status.reason, /paused by ops/);
  // The page opened before the pause follows it through its event stream, without a reload.
  await watcher.page.waitForFunction(() => /paused/.test(document.querySelector('[data-live="/ui/rollouts/events"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
  assert.equal(await live.locator('a.button[href*="step=resume"]').count(), 1, 'the pushed panel offers resume');
  await screenshot(page, 'rollouts-paused-1280');
  assert.deepEqual(problems, []);
  assert.deepEqual(watcher.problems, []);
  await page.close();
  await watcher.page.close();
});

test('fleet runs: preview (dry run), start, then the results arrive live on the run page; output stays text', async () => {
  const { page, problems } = await watchedPage(admin);
  await open(page, '/ui/runs');
  await page.fill('#run-action', 'probe');
  await page.fill('#run-where', 'role=runner');
  await page.getByRole('button', { name: 'Preview (dry run)' }).click();
  await page.waitForURL(`${w.base}/ui/runs/preview`);
  const preview = await page.locator('main').innerText();
  assert.match(preview, /Dry run: probe would run on 3 hosts/);
  assert.equal((await w.handle.query('SELECT id FROM fleet_runs')).length, 0, 'a preview starts nothing');
  await screenshot(page, 'runs-preview-1280');
  await page.getByRole('button', { name: 'Start probe on 3 hosts' }).click();
  await page.waitForURL(/\/ui\/runs\/\d+$/);
  await page.locator('[data-live]').waitFor({ state: 'attached' });
  // The hosts poll the agent API and answer; the open page gets each result through its stream.
  await fleet.runs!.settled();
  let answered = 0;
  for (let round = 0; round < 20 && answered < 3; round++) {
    for (const a of agents) {
      for (const t of await a.poll()) {
        assert.ok(await a.result(t.id, { status: 'succeeded', exit_code: 0, duration_ms: 12, output: `probed ${a.name} ${XSS_SCRIPT}` }));
        answered++;
      }
    }
    await fleet.runs!.settled();
  }
  assert.equal(answered, 3);
  await page.waitForFunction(() => /probed runner-2/.test(document.querySelector('main')?.textContent ?? ''), undefined, { timeout: 15_000 });
  const shown = await page.locator('main').innerText();
  for (const a of agents) assert.ok(shown.includes(`probed ${a.name} ${XSS_SCRIPT}`), `${a.name}'s output, as text`);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  await screenshot(page, 'runs-results-1280');
  assert.deepEqual(problems, []);
  await page.close();
});

/** The page's CSRF token (the logout form's), read from the DOM. */
function csrfIn(page: Page): Promise<string> {
  return page.locator('form[action="/ui/logout"] input[name="_csrf"]').getAttribute('value').then((v) => v ?? '');
}

/** POST a form body from the page's own context (same origin, the session cookie goes along). */
function postFromPage(page: Page, path: string, csrf?: string, body = 'x=1'): Promise<number> {
  return page.evaluate(async ([p, token, b]) => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (token) headers['x-csrf-token'] = token;
    return (await fetch(p, { method: 'POST', headers, body: b, redirect: 'manual' })).status;
  }, [path, csrf, body] as const);
}

test('CSRF: a POST without the token is refused (and audited), with it the action runs', async () => {
  const { page, problems } = await watchedPage(admin);
  await open(page, '/ui/');
  const before = probeHits;
  const rejected = async () => Number((await w.handle.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'request.rejected'"))[0]!.n);
  const r0 = await rejected();
  assert.equal(await postFromPage(page, '/ui/test/probe'), 403, 'no token');
  assert.equal(await postFromPage(page, '/ui/test/probe', 'not-the-token'), 403, 'a wrong token');
  assert.equal(await postFromPage(page, '/ui/logout'), 403, 'logout without the token');
  assert.equal(probeHits, before, 'the action never ran');
  assert.equal(await rejected(), r0 + 3, 'each refusal is audited');
  await open(page, '/ui/');
  assert.equal(await page.locator('h1').innerText(), 'Fleet overview', 'the session survived the refused logout');
  assert.equal(await postFromPage(page, '/ui/test/probe', await csrfIn(page)), 200, 'the same POST with the token');
  assert.equal(probeHits, before + 1);
  // The refused fetches show as failed loads in the browser's console: expected here, nothing else.
  assert.ok(problems.every((p) => /\b403\b/.test(p.text) && p.kind !== 'csp' && p.kind !== 'pageerror'), JSON.stringify(problems));
  await page.close();
});

test('a read-only session sees no button that changes anything, and the server refuses its POSTs anyway', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await signInWith(ctx, await linkFor('viewer-link', ['read']));
  assert.match(await page.locator('.who').innerText(), /viewer-link.*\(read\)/s);
  for (const [name, path] of allPages()) {
    await open(page, path);
    const posts = await page.locator('form').evaluateAll((forms) => forms.filter((f) => (f as HTMLFormElement).method === 'post').map((f) => f.getAttribute('action')));
    assert.deepEqual(posts, ['/ui/logout'], `${path}: POST forms`);
    assert.equal(await page.locator('[hx-post], [hx-put], [hx-patch], [hx-delete], [data-hx-post]').count(), 0, `${path}: htmx writes`);
    const buttons = await page.locator('button').evaluateAll((bs) => bs.filter((b) => (b as HTMLButtonElement).form?.method !== 'get' && (b as HTMLButtonElement).form?.getAttribute('action') !== '/ui/logout').map((b) => b.textContent));
    assert.deepEqual(buttons, [], `${path}: buttons other than search and log out`);
    assert.equal(await page.locator('a.button, a[href*="/confirm"]').count(), 0, `${path}: links to a state change`);
    if (name === 'overview') await screenshot(page, 'overview-read-only-1280');
  }
  const before = probeHits;
  const csrf = await csrfIn(page);
  assert.equal(await postFromPage(page, '/ui/test/probe', csrf), 403, 'an admin action with a valid CSRF token');
  assert.equal(probeHits, before);
  const state = (await rolloutStatus()).state;
  for (const step of ['pause', 'resume', 'rollback']) assert.equal(await postFromPage(page, `/ui/rollouts/${step}`, csrf, `rollout=${(await rolloutStatus()).id}`), 403, step);
  assert.equal((await rolloutStatus()).state, state, 'the rollout did not move');
  for (const path of ['/ui/runs/preview', '/ui/runs/start']) assert.equal(await postFromPage(page, path, csrf, 'action=probe&where=role%3Drunner'), 403, path);
  assert.ok(problems.every((p) => /\b403\b/.test(p.text) && p.kind !== 'csp' && p.kind !== 'pageerror'), JSON.stringify(problems));
  await ctx.close();
});
