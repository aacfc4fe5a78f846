/**
 * The live rollout and run pages in a real headless Chromium (Debian's, driven by playwright-core;
 * nothing downloads a browser): the console's own script opens the event streams under the CSP, a
 * pause made elsewhere shows without a reload, resume goes through its confirmation page, a run is
 * previewed, started and its results arrive live (output holding <script> shown as text), at 1280 px
 * and at a phone's width. Screenshots are kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS_DIR, launchChromium } from '../support/browser.js';
import { startConsoleWorld } from '../support/console.js';
import { fakeAgent, fleetFor, fleetHandles, publish } from '../support/console-fleet.js';

/** Screenshots are kept with the other console test artefacts (test/support/browser.ts), for people to look at. */
const SHOTS = join(ARTIFACTS_DIR, 'live');

test('browser: live rollout panel and run page', async () => {
  const fleet = fleetHandles();
  const w = await startConsoleWorld({}, Date.now(), fleetFor(fleet));
  await publish(fleet.bundles!, 1, 'one', { soak_ms: 0, waves: [100] });
  await fleet.rollouts!.tick();
  const agents = [];
  for (let i = 0; i < 4; i++) agents.push(await fakeAgent(w, `db-${i}`, { role: 'db' }));
  await publish(fleet.bundles!, 2, 'two', { soak_ms: 3_600_000, waves: [50, 100], auto_rollback: false }, 'one');
  await fleet.rollouts!.tick();
  mkdirSync(SHOTS, { recursive: true });
  const browser = await launchChromium();
  const errors: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${w.base}/ui/login`);
    await page.fill('#token', w.adminToken);
    await Promise.all([page.waitForURL((u) => u.pathname === '/ui/'), page.click('button[type=submit]')]);
    await page.goto(`${w.base}/ui/rollouts`);
    await page.waitForFunction(() => document.querySelector('[data-live]')?.getAttribute('data-live-open') === '1');
    await page.screenshot({ path: join(SHOTS, 'rollouts.png'), fullPage: true });
    // Paused by someone else (the API): the open page shows it without a reload.
    const r = await fetch(`${w.base}/v1/rollouts/current/pause`, { method: 'POST', headers: { authorization: `Bearer ${w.adminToken}` } });
    assert.equal(r.status, 200);
    await page.waitForSelector('#rollout-live strong.warn', { timeout: 10_000 });
    assert.match(await page.textContent('#rollout-live') ?? '', /paused/);
    // Resume through the confirmation page.
    await page.click('a.button:has-text("Resume")');
    await page.screenshot({ path: join(SHOTS, 'rollout-confirm.png'), fullPage: true });
    await page.click('form.confirm button');
    await page.waitForURL(/done=resume/);
    // A run: preview, start, live results.
    await page.goto(`${w.base}/ui/runs`);
    await page.fill('#run-action', 'probe');
    await page.fill('#run-where', 'role=db');
    await page.fill('#run-params', 'days=3');
    await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });
    await page.click('form.run-form button');
    await page.screenshot({ path: join(SHOTS, 'run-preview.png'), fullPage: true });
    await page.click('form.confirm button');
    await page.waitForURL(/\/ui\/runs\/\d+$/);
    await page.waitForFunction(() => document.querySelector('[data-live]')?.getAttribute('data-live-open') === '1');
    await fleet.runs!.settled();
    for (let round = 0; round < 10; round++) {
      for (const a of agents) for (const t of await a.poll()) await a.result(t.id, { status: a.name === 'db-3' ? 'failed' : 'succeeded', exit_code: a.name === 'db-3' ? 1 : 0, duration_ms: 40, output: `done <script>alert(1)</script> on ${a.name}` });
      await fleet.runs!.settled();
    }
    await page.waitForFunction(() => document.querySelectorAll('#run-results tr').length === 4, undefined, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('[data-live]')?.getAttribute('data-live-open') === 'ended', undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(page.url());
    await phone.screenshot({ path: join(SHOTS, 'run-phone.png'), fullPage: true });
    assert.equal(await page.locator('#run-results script').count(), 0, 'output holding a script is text');
    assert.deepEqual(errors, [], 'no script error in the page');
  } finally {
    await browser.close();
    await fleet.close();
    await w.close();
  }
});
