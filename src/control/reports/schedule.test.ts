import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReportSchedule, validateCron } from './schedule.js';
import { waitFor } from '../../../test/support/wait.js';

function memLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } };
}

test('validateCron: table', () => {
  const cases: { cron: string; tz?: string; ok: boolean; msg?: RegExp }[] = [
    { cron: '0 7 * * *', ok: true },
    { cron: '*/5 * * * *', tz: 'Europe/Madrid', ok: true },
    { cron: '0 25 * * *', ok: false, msg: /reports\.schedule\.cron: invalid cron expression "0 25 \* \* \*"/ },
    { cron: 'every day', ok: false, msg: /reports\.schedule\.cron/ },
    { cron: '0 7 * * *', tz: 'Mars/Olympus', ok: false, msg: /reports\.schedule\.timezone: unknown time zone/ },
  ];
  for (const c of cases) {
    if (c.ok) validateCron(c.cron, c.tz);
    else assert.throws(() => validateCron(c.cron, c.tz), (e: Error & { code?: string }) => e.code === 'VIGIA_ERR_CONFIG' && c.msg!.test(e.message), c.cron);
  }
});

test('schedule: nextRun honours the time zone; default is 07:00 UTC', async () => {
  const { log } = memLog();
  const s = createReportSchedule({ run: async () => {}, log });
  const next = s.nextRun();
  assert.ok(next);
  assert.equal(next.getUTCHours(), 7);
  assert.equal(next.getUTCMinutes(), 0);
  await s.stop();
  assert.equal(s.nextRun(), null);
  const madrid = createReportSchedule({ cron: '0 7 * * *', timezone: 'Europe/Madrid', run: async () => {}, log });
  // Madrid is UTC+1 in winter, UTC+2 in summer.
  assert.ok([5, 6].includes(madrid.nextRun()!.getUTCHours()));
  await madrid.stop();
});

test('schedule: runs never overlap, failures are counted and logged, stop drains', async () => {
  const { lines, log } = memLog();
  let release!: () => void;
  let calls = 0;
  const s = createReportSchedule({
    cron: '* * * * * *',
    log,
    run: async () => {
      calls++;
      if (calls === 1) await new Promise<void>((r) => (release = r));
      else throw new Error('smtp down');
    },
  });
  // Wait (bounded) for a tick that finds the first run still going; timers may lag on a loaded machine.
  await waitFor('a tick skipped', () => s.stats().skipped >= 1, 10_000, 50);
  assert.equal(calls, 1, 'second tick must not start while the first runs');
  assert.ok(s.stats().skipped >= 1);
  assert.ok(lines.some((l) => l.level === 'warn' && /skipped/.test(l.msg)));
  // A trigger while a run is going is refused too.
  assert.equal(await s.trigger(), false);
  release();
  // stop() waits for the run in flight and schedules nothing more ...
  await s.stop();
  assert.equal(s.stats().running, false);
  // ... so the counters below move only because of trigger() (a tick may have run between release and stop).
  const failuresBefore = s.stats().failures;
  assert.equal(await s.trigger(), true);
  assert.equal(s.stats().failures, failuresBefore + 1);
  assert.ok(lines.some((l) => l.level === 'error' && /failed/.test(l.msg)));
  assert.equal(s.stats().running, false);
});
