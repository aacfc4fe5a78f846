/**
 * The console as a newcomer meets it after `npm start -- --demo`: `vigia up --demo` (the built binary,
 * a small fleet: --demo-hosts 20) prints one line; its login link, opened in Chromium, signs in; every
 * nav page then shows the demo's data (simulated fleet with history, the rollout over the polling
 * agents, a fleet run, the SLO demo year, log traffic) with no console error, failed request or CSP
 * violation; screenshots are kept as .artifacts/console/up-demo-*.png; SIGINT stops everything, exit 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchChromium, screenshot, watchedPage } from '../support/browser.js';
import { freePort } from '../support/ports.js';
import { processesMentioning } from '../support/procs.js';
import { tempDir } from '../support/tmp.js';
import { linkOf, startUp } from '../support/up-process.js';
import { waitFor } from '../support/wait.js';

const HOSTS = 20;

/** The overview's host count card. */
const hostCount = (text: string): number => Number((/([\d,]+)\s+Hosts/.exec(text)?.[1] ?? '0').replace(/,/g, ''));

/** Each nav page and the text that shows the demo's data reached it (the demo fills in over seconds). */
const PAGES: ReadonlyArray<readonly [name: string, path: string, expect: RegExp | ((text: string) => boolean)]> = [
  ['overview', '/ui/', (t) => hostCount(t) > HOSTS && /Rollout in progress/.test(t)],
  ['hosts', '/ui/hosts', /sim-0+1/],
  ['capacity', '/ui/capacity', /sim-\d+/],
  ['performance', '/ui/performance', /Hosts by pressure \([1-9]/],
  ['rollouts', '/ui/rollouts', /Current rollout #\d/],
  ['runs', '/ui/runs', /purge-binlogs/],
  ['slo', '/ui/slo', /Objectives/],
  ['logs', '/ui/logs', /The collector holds [1-9][\d,]* lines/],
  ['audit', '/ui/audit', /console\.login/],
];

test('npm start -- --demo: the printed link signs in, every page shows the demo with no console error; SIGINT stops all', { timeout: 300_000 }, async () => {
  const box = tempDir('vigia-console-up-');
  const [port, agentPort, logsPort] = [await freePort(), await freePort(), await freePort()];
  const up = startUp(box.dir, ['--demo', '--demo-hosts', String(HOSTS), '--port', String(port), '--agent-port', String(agentPort), '--logs-port', String(logsPort)]);
  const { child, exited } = up;
  const browser = await launchChromium();
  try {
    const link = await linkOf(up);
    const base = `http://127.0.0.1:${port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await watchedPage(context);
    assert.equal((await page.goto(link))?.status(), 200, 'the printed link');
    await page.waitForURL(`${base}/ui/`);
    assert.match(await page.locator('.who').innerText(), /Signed in as/);

    for (const [name, path, expect] of PAGES) {
      // Bounded: the simulated fleet, the rollout, the run and the log traffic arrive within a minute.
      await waitFor(`${path} showing ${expect}`, async () => {
        const res = await page.goto(`${base}${path}`, { waitUntil: 'load' });
        assert.equal(res?.status(), 200, path);
        const text = await page.locator('main').innerText();
        return typeof expect === 'function' ? expect(text) : expect.test(text);
      }, 90_000, 2000);
      const charts = await page.locator('main [data-chart]').count();
      assert.equal(await page.locator('main [data-chart] canvas').count(), charts, `${path}: every chart drawn`);
      await screenshot(page, `up-demo-${name}-1280`);
      assert.deepEqual(problems, [], `${path}: ${JSON.stringify(problems)}`);
    }
    await page.goto(`${base}/ui/hosts`);
    await page.locator('main a[href^="/ui/hosts/sim-"]').first().click();
    await page.waitForURL(/\/ui\/hosts\/sim-/);
    assert.match(await page.locator('main').innerText(), /Devices/);
    await screenshot(page, 'up-demo-host-detail-1280');
    assert.deepEqual(problems, []);

    child.kill('SIGINT');
    assert.equal(await exited, 0, up.err().slice(-2000));
  } finally {
    await browser.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const pid of processesMentioning(box.dir)) process.kill(pid, 'SIGKILL');
    box.remove();
  }
});
