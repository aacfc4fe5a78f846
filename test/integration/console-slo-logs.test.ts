/**
 * The console's SLO and logs pages against the real things they read: the logs page asks a running
 * `vigia logs serve` holding imported lines (one of them a logged `<script>` URL), over its operator API;
 * the SLO page shows what `vigia slo report --format json` builds over the demo year's specs (one SLO
 * renamed to markup). Then the failures a user meets: a wrong collector token, a collector that is down,
 * a spec that does not load, a period that is not one, and neither configured: each a message on the
 * page, never a 500.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hashToken, newToken } from '../../src/core/auth.js';
import { createLogsClient, type LogsSource } from '../../src/control/console/logs-client.js';
import { createSloRunner } from '../../src/control/console/slo-source.js';
import { writeDemo } from '../../src/slo/demo/generate.js';
import { loginWithToken, request, startConsoleWorld, type ConsoleWorld } from '../support/console.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/tmp.js';
import { spawnVigia, VIGIA_BIN, type VigiaChild } from '../support/vigia-process.js';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const tmp = tempDir('vigia-console-slo-logs-');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// Two days ago, UTC midnight: inside the collector's retention, which runs when it starts.
const BASE = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
const utc = (t: number): string => new Date(t).toISOString().slice(0, 16);
const RANGE = `range=custom&from=${encodeURIComponent(utc(BASE))}&to=${encodeURIComponent(utc(BASE + 86_400_000))}`;

let serve: VigiaChild;
let collectorUrl: string;
let readToken: string;
let w: ConsoleWorld;
let cookie: string;
// The page's collector; the tests swap what is behind it (a wrong token, a closed port).
let logsTarget: LogsSource;
const logs: LogsSource = {
  get url() {
    return logsTarget.url;
  },
  who: (q) => logsTarget.who(q),
  top: (q) => logsTarget.top(q),
  series: (q) => logsTarget.series(q),
  stats: () => logsTarget.stats(),
};

before(async () => {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const ts = new Date(BASE + 3_600_000 + i * 30_000);
    const t = `${String(ts.getUTCDate()).padStart(2, '0')}/${MON[ts.getUTCMonth()]}/${ts.getUTCFullYear()}:${ts.toISOString().slice(11, 19)} +0000`;
    const url = i % 50 === 0 ? `/${XSS}` : `/a/${i % 4}`;
    lines.push(`192.0.2.${i % 7} - - [${t}] "GET ${url} HTTP/1.1" ${i % 10 === 0 ? 404 : 200} ${i} "-" "agent"`);
  }
  writeFileSync(join(tmp.dir, 'access.log'), `${lines.join('\n')}\n`);
  const imp = spawnSync(process.execPath, [VIGIA_BIN, 'logs', 'import', 'access.log', '--data-dir', 'store', '--host', 'web-1'], { encoding: 'utf8', timeout: 60_000, cwd: tmp.dir });
  assert.equal(imp.status, 0, imp.stderr);
  readToken = newToken();
  writeFileSync(join(tmp.dir, 'tokens'), `${hashToken(readToken)} scopes=read name=console\n`, { mode: 0o600 });
  writeFileSync(join(tmp.dir, 'shippers'), `${hashToken(newToken())} name=web-1\n`, { mode: 0o600 });
  const port = await freePort();
  collectorUrl = `http://127.0.0.1:${port}`;
  serve = await spawnVigia('vigia logs serve', ['logs', 'serve', '--listen', `127.0.0.1:${port}`, '--data-dir', 'store', '--tokens', 'tokens', '--shipper-tokens', 'shippers'], {
    cwd: tmp.dir, ready: (c) => c.stderr().includes('log collector listening'), timeoutMs: 60_000,
  });
  logsTarget = createLogsClient({ url: collectorUrl, token: readToken });

  const slos = join(tmp.dir, 'slos');
  await writeDemo(slos, { seed: 3 });
  const spec = readFileSync(join(slos, 'slos.yaml'), 'utf8');
  writeFileSync(join(slos, 'slos.yaml'), spec.replace('displayName: A deploy at least every 3.5 hours', `displayName: "${XSS} deploys"`));
  const broken = join(tmp.dir, 'broken');
  await writeDemo(broken, { seed: 3 });
  writeFileSync(join(broken, 'slos.yaml'), `${spec.replace('target: 0.9', 'target: 9')}`);
  const command = [process.execPath, VIGIA_BIN];
  const good = createSloRunner({ command, specPaths: [slos], period: '2025' });
  const bad = createSloRunner({ command, specPaths: [broken], period: '2025' });
  w = await startConsoleWorld({ logs, slo: { defaultPeriod: '2025', report: (p) => (p === '2024' ? bad.report('2025') : good.report(p)) } });
  cookie = await loginWithToken(w, w.readToken);
});

after(async () => {
  await w?.close();
  await serve?.stop();
  tmp.remove();
});

test('logs page: top lists, the per-minute chart and who visited a URL, from a real collector; a logged script is text', async () => {
  const page = await request(w, 'GET', `/ui/logs?${RANGE}`, { cookie });
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.ok(!page.text.includes(XSS), 'the logged script URL is never raw');
  assert.ok(page.text.includes(ESCAPED), 'the logged script URL shows as text');
  assert.match(page.text, /The collector holds 600 lines/);
  assert.match(page.text, /<h2>Top URLs<\/h2>.*\/a\/0/s);
  assert.match(page.text, /192\.0\.2\.\d/);
  assert.match(page.text, /<td class="key">404<\/td><td class="num">60<\/td>/, 'every tenth line was a 404');
  const data = /<script type="application\/json" id="logs-minute">([^<]*)<\/script>/.exec(page.text);
  assert.ok(data, 'the per-minute chart island');
  const spec = JSON.parse(data[1]!) as { x: number[]; y: number[][] };
  assert.equal(spec.y[0]!.reduce((a, b) => a + b, 0), 600, 'every hit is in the chart (minutes filled, downsampling keeps sums here: 1,440 minutes fit)');

  const who = await request(w, 'GET', `/ui/logs?${RANGE}&url=${encodeURIComponent(`https://shop.example/${XSS}?x=1`)}`, { cookie });
  assert.ok(!who.text.includes(XSS));
  assert.match(who.text, /Who visited \/&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(who.text, /7 clients/, 'lines 0, 50, ... 550: 12 hits from the 7 addresses');
  const box = who.text.slice(who.text.indexOf('class="who-box"'), who.text.indexOf('</section>', who.text.indexOf('class="who-box"')));
  assert.equal([...box.matchAll(/<td class="key">192\.0\.2\.\d<\/td><td class="num">(\d+)<\/td>/g)].reduce((a, m) => a + Number(m[1]), 0), 12);
  const prefix = await request(w, 'GET', `/ui/logs?${RANGE}&url=%2Fa%2F&prefix=1`, { cookie });
  assert.match(prefix.text, /7 clients/);
  assert.match(prefix.text, /id="logs-who-minute"/);
  const empty = await request(w, 'GET', '/ui/logs?range=1h', { cookie });
  assert.match(empty.text, /No hits in this range/);
  const odd = await request(w, 'GET', '/ui/logs?range=1y', { cookie });
  assert.match(odd.text, /unknown range &quot;1y&quot;: showing the last 24h/);
});

test('logs page: a token the collector refuses and a collector that is down are messages, not 500s', async () => {
  logsTarget = createLogsClient({ url: collectorUrl, token: newToken() });
  const refused = await request(w, 'GET', '/ui/logs', { cookie });
  assert.equal(refused.status, 200);
  assert.match(refused.text, /could not be asked: VIGIA_ERR_UNAUTHORIZED/);
  logsTarget = createLogsClient({ url: `http://127.0.0.1:${await freePort()}`, token: readToken });
  const down = await request(w, 'GET', '/ui/logs', { cookie });
  assert.equal(down.status, 200);
  assert.match(down.text, /could not be asked: VIGIA_ERR_UNREACHABLE: .*connection refused/);
  logsTarget = createLogsClient({ url: collectorUrl, token: readToken });
});

test('SLO page: the report vigia slo report builds, with charts, DORA and months; an SLO name with markup is text', async () => {
  const page = await request(w, 'GET', '/ui/slo', { cookie });
  assert.equal(page.status, 200, page.text.slice(0, 300));
  assert.ok(!page.text.includes(XSS));
  assert.ok(page.text.includes(`${ESCAPED} deploys`));
  assert.match(page.text, /4 objectives, <strong>\d not met<\/strong>/);
  for (const h of ['Objectives', 'DORA', 'Deployment frequency', 'Budget left', 'Burn, last 30 d', 'Coverage', '2025-12']) assert.ok(page.text.includes(h), h);
  assert.equal((page.text.match(/type="application\/json" id="slo-\d-budget"/g) ?? []).length, 4, 'a budget chart per SLO');
  assert.equal((page.text.match(/type="application\/json" id="slo-\d-months"/g) ?? []).length, 4, 'a monthly chart per SLO');
  const none = await request(w, 'GET', '/ui/slo?period=2019', { cookie });
  assert.match(none.text, /Coverage warnings/);
  assert.match(none.text, /no record in the period/);
  const bad = await request(w, 'GET', `/ui/slo?period=${encodeURIComponent(XSS)}`, { cookie });
  assert.equal(bad.status, 400);
  assert.ok(!bad.text.includes(XSS));
  const broken = await request(w, 'GET', '/ui/slo?period=2024', { cookie });
  assert.equal(broken.status, 200);
  assert.match(broken.text, /role="alert">VIGIA_ERR_CONFIG: invalid configuration: the SLO specs have 1 error\(s\): .*target: 9 is not a ratio/);
});

test('without --logs-server and --slo-spec the pages say how to connect them', async () => {
  const bare = await startConsoleWorld();
  try {
    const c = await loginWithToken(bare, bare.readToken);
    assert.match((await request(bare, 'GET', '/ui/logs', { cookie: c })).text, /--logs-server URL --logs-token-file FILE/);
    assert.match((await request(bare, 'GET', '/ui/slo', { cookie: c })).text, /--slo-spec DIR/);
  } finally {
    await bare.close();
  }
});
