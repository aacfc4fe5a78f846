/**
 * The rollouts page on a real control server (PGlite, the real rollout and bundle services, the
 * console's session, scope and CSRF wrapper): a rollout paused from the console is paused for
 * `vigia rollout status` (GET /v1/rollouts/current) and audited with the session's name; resume and
 * rollback go through their confirmation page; a read-only session sees no button and its POST is
 * refused; a POST without the CSRF token is refused; the event stream sends the change.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { csrfOf, loginWithToken, request, startConsoleWorld, type ConsoleWorld } from '../../../../test/support/console.js';
import { fakeAgent, fleetFor, fleetHandles, publish } from '../../../../test/support/console-fleet.js';

let w: ConsoleWorld;
const fleet = fleetHandles();
let ops: string;
let viewer: string;

before(async () => {
  w = await startConsoleWorld({}, undefined, fleetFor(fleet));
  // Release 1 with no host enrolled completes at once; then hosts, then release 2 in two waves,
  // with a soak the test's frozen clock never reaches, so it stays in wave 1.
  await publish(fleet.bundles!, 1, 'one', { soak_ms: 0, waves: [100] });
  await fleet.rollouts!.tick();
  for (let i = 0; i < 4; i++) await fakeAgent(w, `db-${i}`, { role: 'db' });
  await publish(fleet.bundles!, 2, 'two', { soak_ms: 3_600_000, waves: [50, 100], auto_rollback: false }, 'one');
  await fleet.rollouts!.tick();
  ops = await loginWithToken(w, w.adminToken);
  viewer = await loginWithToken(w, w.readToken);
});
after(async () => {
  await fleet.close();
  await w.close();
});

async function current(): Promise<{ id: number; state: string; reason: string }> {
  const a = await request(w, 'GET', '/v1/rollouts/current', { token: w.adminToken });
  assert.equal(a.status, 200, a.text);
  return JSON.parse(a.text) as { id: number; state: string; reason: string };
}

/** Read events from an open stream until one's data matches `want` (bounded by `ms`). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, want: RegExp, ms = 10_000): Promise<string> {
  const dec = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), deadline - Date.now()).unref());
    const r = await Promise.race([reader.read(), timeout]);
    if (r === 'timeout' || r.done) break;
    text += dec.decode(r.value, { stream: true });
    for (const block of text.split('\n\n')) if (want.test(block)) return block;
  }
  throw new Error(`no event matching ${want} in ${ms} ms; got: ${text.slice(0, 500)}`);
}

test('the page shows the current rollout, its waves, drift and history', async () => {
  const a = await request(w, 'GET', '/ui/rollouts', { cookie: ops });
  assert.equal(a.status, 200, a.text.slice(0, 300));
  assert.doesNotMatch(a.text, /Not available yet/);
  assert.match(a.text, /<strong class="ok">running<\/strong>/);
  assert.match(a.text, /Wave<\/dt><dd>1 of 2/);
  assert.match(a.text, /data-live="\/ui\/rollouts\/events"/);
  assert.match(a.text, /Drift/);
  assert.match(a.text, /<td>completed<\/td>|class="ok">completed/, 'release 1 in the history');
  assert.match(a.text, /href="\/ui\/rollouts\/confirm\?step=pause&amp;rollout=2"/, 'an admin gets the pause button');
  assert.doesNotMatch(a.text, /step=resume/, 'no resume button for a running rollout');
});

test('a read-only session sees no button, cannot open a confirmation, and its POST is refused (403, audited)', async () => {
  const page = await request(w, 'GET', '/ui/rollouts', { cookie: viewer });
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /\/ui\/rollouts\/confirm|class="button/);
  assert.equal((await request(w, 'GET', '/ui/rollouts/confirm?step=pause&rollout=2', { cookie: viewer })).status, 403);
  const post = await request(w, 'POST', '/ui/rollouts/pause', { cookie: viewer, form: { _csrf: csrfOf(page.text), rollout: '2' } });
  assert.equal(post.status, 403);
  assert.equal((await current()).state, 'running');
  const rows = await w.handle.query<{ actor: string; action: string }>(`SELECT actor, action FROM audit_log WHERE action = 'request.rejected' AND detail->>'path' = '/ui/rollouts/pause'`);
  assert.deepEqual(rows.map((r) => r.actor), ['viewer']);
});

test('a POST without the CSRF token, or with another session\'s, is refused and changes nothing', async () => {
  const viewerPage = await request(w, 'GET', '/ui/rollouts', { cookie: viewer });
  assert.equal((await request(w, 'POST', '/ui/rollouts/pause', { cookie: ops, form: { rollout: '2' } })).status, 403);
  const other = await request(w, 'POST', '/ui/rollouts/pause', { cookie: ops, form: { _csrf: csrfOf(viewerPage.text), rollout: '2' } });
  assert.equal(other.status, 403);
  assert.match(other.text, /CONTROL_ERR_CSRF/);
  assert.equal((await current()).state, 'running');
});

test('paused from the console (confirmation, then POST): paused for the API, audited as the session; the stream sends it', async () => {
  // Open the stream first: its first event is the running rollout.
  const res = await fetch(`${w.base}/ui/rollouts/events`, { headers: { cookie: ops } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  try {
    const first = await readUntil(reader, /event: swap/);
    assert.match(first, /rollout-live/);
    assert.match(first, /running/);

    const confirm = await request(w, 'GET', '/ui/rollouts/confirm?step=pause&rollout=2', { cookie: ops });
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /stops at wave 1 of 2/, 'the page says what will happen');
    assert.match(confirm.text, /<form method="post" action="\/ui\/rollouts\/pause"/);
    const done = await request(w, 'POST', '/ui/rollouts/pause', { cookie: ops, form: { _csrf: csrfOf(confirm.text), rollout: '2' } });
    assert.equal(done.status, 303, done.text);
    assert.equal(done.headers.get('location'), '/ui/rollouts?done=pause');
    const api = await current();
    assert.equal(api.state, 'paused');
    assert.equal(api.reason, 'paused by ops');
    const [audit] = await w.handle.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action LIKE 'rollout.%' AND detail::text LIKE '%paused%' ORDER BY id DESC LIMIT 1`);
    assert.equal(audit?.actor, 'ops');

    const pushed = await readUntil(reader, /paused/);
    assert.match(pushed, /step=resume/, 'the pushed panel offers resume to this admin session');
  } finally {
    await reader.cancel();
  }
});

test('a confirmation for a rollout that was replaced does nothing', async () => {
  const page = await request(w, 'GET', '/ui/rollouts', { cookie: ops });
  const stale = await request(w, 'POST', '/ui/rollouts/resume', { cookie: ops, form: { _csrf: csrfOf(page.text), rollout: '1' } });
  assert.equal(stale.status, 200);
  assert.match(stale.text, /Nothing was done/);
  assert.equal((await current()).state, 'paused');
});

test('resume, then roll back, each through its confirmation page', async () => {
  const resume = await request(w, 'GET', '/ui/rollouts/confirm?step=resume&rollout=2', { cookie: ops });
  assert.match(resume.text, /goes on from wave 1 of 2/);
  assert.equal((await request(w, 'POST', '/ui/rollouts/resume', { cookie: ops, form: { _csrf: csrfOf(resume.text), rollout: '2' } })).status, 303);
  assert.equal((await current()).state, 'running');

  const rollback = await request(w, 'GET', '/ui/rollouts/confirm?step=rollback&rollout=2', { cookie: ops });
  assert.match(rollback.text, /revert release 3/);
  assert.match(rollback.text, /cannot be undone/);
  assert.equal((await request(w, 'POST', '/ui/rollouts/rollback', { cookie: ops, form: { _csrf: csrfOf(rollback.text), rollout: '2' } })).status, 303);
  const api = await current();
  assert.ok(api.state === 'rolling_back' || api.state === 'rolled_back', api.state);
  assert.equal(api.reason, 'rollback requested by ops');

  // No step applies twice: the page offers none, the confirmation says why, a POST is refused with the reason.
  const page = await request(w, 'GET', '/ui/rollouts', { cookie: ops });
  assert.doesNotMatch(page.text, /step=pause|step=resume/);
  const again = await request(w, 'GET', '/ui/rollouts/confirm?step=pause&rollout=2', { cookie: ops });
  assert.equal(again.status, 409);
  const refused = await request(w, 'POST', '/ui/rollouts/pause', { cookie: ops, form: { _csrf: csrfOf(page.text), rollout: '2' } });
  assert.equal(refused.status, 409);
  assert.match(refused.text, /CONTROL_ERR_ROLLOUT_STATE/);
});
