/**
 * The built `vigia server` refuses reports far outside the report contract's shape (20,000 tag keys)
 * before their schema runs, and /healthz keeps answering while 20 of them are in flight from one host
 * (issue 13, finding 3: each cost 165-250 ms of CPU in zod and /healthz waited 2.6 s).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startControl } from '../support/control-process.js';

test('20 parallel 249 KB reports with 20,000 tag keys are each refused by the shape check, and /healthz answers while they are in flight', { timeout: 180_000 }, async () => {
  const control = await startControl();
  try {
    const enroll = await control.fetch('/v1/hosts/enroll', { token: control.adminToken, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ host: 'wide-db-1' }) });
    assert.equal(enroll.status, 200, enroll.text);
    const tags = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v']));
    const body = JSON.stringify({ v: 1, host: 'wide-db-1', sampled_at: new Date(Date.now() - 1000).toISOString(), interval_seconds: 60, agent: { version: 't' }, tags, system: null, devices: [] });
    assert.ok(body.length > 240_000 && body.length < 256 * 1024, `${body.length} bytes`);
    let pending = 20;
    const reports = Array.from({ length: 20 }, () =>
      control.fetch('/v1/reports', { token: enroll.body.token, method: 'POST', headers: { 'content-type': 'application/json' }, body }).finally(() => pending--),
    );
    // /healthz, one after another, until every report is answered: count those answered meanwhile.
    let answeredInFlight = 0;
    while (pending > 0) {
      const h = await control.fetch('/healthz', { token: null });
      assert.equal(h.status, 200);
      if (pending > 0) answeredInFlight++;
    }
    for (const r of await Promise.all(reports)) {
      assert.equal(r.status, 422, r.text);
      assert.equal(r.body.error.code, 'CONTROL_ERR_INVALID_REPORT');
      assert.match(r.body.error.message, /tags: more than 32 keys/, 'refused by the shape check, not the schema');
    }
    assert.ok(answeredInFlight >= 1, '/healthz answered while the reports were in flight');
  } finally {
    await control.stop();
    control.remove();
  }
});
