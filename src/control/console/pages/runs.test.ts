/**
 * The fleet-runs pages on a real control server (PGlite, the real run service, fake agents speaking
 * the agent API over HTTP): a run previewed (dry run) then started from the console reaches its
 * hosts, their results show on the run's page and arrive through its event stream; a read-only
 * session sees no form and its POSTs are refused; action output and a host name holding `<script>`
 * stay text; a bad field is one catalogued line above the form again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashToken, newToken } from '../../../core/auth.js';
import { csrfOf, loginWithToken, request, startConsoleWorld, type ConsoleWorld } from '../../../../test/support/console.js';
import { fakeAgent, fleetFor, fleetHandles, type FakeAgent } from '../../../../test/support/console-fleet.js';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
let w: ConsoleWorld;
const fleet = fleetHandles();
let ops: string;
let viewer: string;
const agents: FakeAgent[] = [];

before(async () => {
  w = await startConsoleWorld({}, undefined, fleetFor(fleet));
  for (let i = 0; i < 3; i++) agents.push(await fakeAgent(w, `db-${i}`, { role: 'db' }));
  agents.push(await fakeAgent(w, 'web-0', { role: 'web' }));
  // A host name the API would refuse (an older store, another source): the pages must still escape it.
  await w.store.enrollHost(`evil${XSS}`, hashToken(newToken()), { role: 'db' });
  ops = await loginWithToken(w, w.adminToken);
  viewer = await loginWithToken(w, w.readToken);
});
after(async () => {
  await fleet.close();
  await w.close();
});

/** Read an event stream until a block matches `want` (bounded). */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, want: RegExp, ms = 10_000): Promise<string> {
  const dec = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), deadline - Date.now()).unref());
    const r = await Promise.race([reader.read(), timeout]);
    if (r === 'timeout' || r.done) break;
    text += dec.decode(r.value, { stream: true });
    if (want.test(text)) return text;
  }
  throw new Error(`no event matching ${want} in ${ms} ms; got: ${text.slice(0, 500)}`);
}

test('a read-only session sees no new-run form, and its preview and start are refused (403)', async () => {
  const page = await request(w, 'GET', '/ui/runs', { cookie: viewer });
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /Not available yet/);
  assert.doesNotMatch(page.text, /\/ui\/runs\/preview|\/ui\/runs\/start/);
  const csrf = csrfOf(page.text);
  for (const path of ['/ui/runs/preview', '/ui/runs/start']) {
    assert.equal((await request(w, 'POST', path, { cookie: viewer, form: { _csrf: csrf, action: 'probe', where: 'role=db' } })).status, 403, path);
  }
  assert.equal((await w.handle.query('SELECT id FROM fleet_runs')).length, 0);
});

test('a bad field is refused as one catalogued line above the form, nothing started', async () => {
  const page = await request(w, 'GET', '/ui/runs', { cookie: ops });
  const csrf = csrfOf(page.text);
  const bad = await request(w, 'POST', '/ui/runs/preview', { cookie: ops, form: { _csrf: csrf, action: 'probe', where: 'role=db', concurrency: 'lots' } });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /VIGIA_ERR_BAD_REQUEST: [^<]*--concurrency/);
  assert.match(bad.text, /name="concurrency" value="lots"/, 'the form comes back as typed');
  const none = await request(w, 'POST', '/ui/runs/preview', { cookie: ops, form: { _csrf: csrf, action: 'probe', where: 'role=nosuch' } });
  assert.match(none.text, /CONTROL_ERR_NO_TARGETS/);
  assert.equal((await request(w, 'POST', '/ui/runs/start', { cookie: ops, form: { action: 'probe', where: 'role=db' } })).status, 403, 'no CSRF token');
  assert.equal((await w.handle.query('SELECT id FROM fleet_runs')).length, 0);
});

test('previewed then started from the console: the run reaches its hosts, results arrive live, output stays text', async () => {
  const page = await request(w, 'GET', '/ui/runs', { cookie: ops });
  assert.match(page.text, /<form method="post" action="\/ui\/runs\/preview"/);
  const form = { _csrf: csrfOf(page.text), action: 'probe', where: 'role=db', params: 'label=x\ndays=3', concurrency: '50%', max_errors: '1', timeout: '1m' };

  const preview = await request(w, 'POST', '/ui/runs/preview', { cookie: ops, form });
  assert.equal(preview.status, 200, preview.text.slice(0, 500));
  assert.match(preview.text, /would run on <strong>4<\/strong> hosts/);
  assert.match(preview.text, /2 hosts at once/, '50% of 4 resolved');
  assert.match(preview.text, />db-0</);
  assert.ok(preview.text.includes(`evil${ESCAPED}`), 'a host name holding a script shows as text');
  assert.ok(!preview.text.includes(XSS));
  assert.equal((await w.handle.query('SELECT id FROM fleet_runs')).length, 0, 'a preview starts nothing');
  const [dry] = await w.handle.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'run.dry_run'`);
  assert.equal(dry?.actor, 'ops');

  // The start form as a browser would post it: its hidden fields, unescaped.
  const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  const startForm = Object.fromEntries([...preview.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, unescape(m[2]!)]));
  const started = await request(w, 'POST', '/ui/runs/start', { cookie: ops, form: startForm });
  assert.equal(started.status, 303, started.text.slice(0, 300));
  const runPath = started.headers.get('location')!;
  assert.match(runPath, /^\/ui\/runs\/\d+$/);
  const runId = Number(runPath.split('/').pop());
  const api = await request(w, 'GET', `/v1/runs/${runId}`, { token: w.readToken });
  const view = JSON.parse(api.text) as { created_by: string; params: Record<string, unknown>; concurrency: number; max_errors: number; counts: { targets: number } };
  assert.deepEqual([view.created_by, view.params, view.concurrency, view.max_errors, view.counts.targets], ['ops', { label: 'x', days: 3 }, 2, 1, 4]);

  const first = await request(w, 'GET', runPath, { cookie: ops });
  assert.equal(first.status, 200);
  assert.match(first.text, /data-live="\/ui\/runs\/\d+\/events\?after=0"/);
  const res = await fetch(`${w.base}${runPath}/events?after=0`, { headers: { cookie: ops } });
  const reader = res.body!.getReader();
  try {
    // The hosts poll the agent API and answer; one prints a script.
    await fleet.runs!.settled();
    let answered = 0;
    for (let round = 0; round < 20 && answered < 3; round++) {
      for (const a of agents) {
        for (const t of await a.poll()) {
          assert.equal(t.action, 'probe');
          assert.ok(await a.result(t.id, { status: 'succeeded', exit_code: 0, duration_ms: 12, output: `purged on ${a.name} ${XSS}` }));
          answered++;
        }
      }
      await fleet.runs!.settled();
    }
    assert.equal(answered, 3, 'the three db hosts got the task');
    const live = await readUntil(reader, /purged on db-2/);
    assert.match(live, /event: append/);
    assert.ok(live.includes(`purged on db-0 ${ESCAPED}`), 'streamed output is escaped');
    assert.ok(!live.includes(XSS));
  } finally {
    await reader.cancel();
  }
  const shown = await request(w, 'GET', runPath, { cookie: ops });
  assert.ok(shown.text.includes(`purged on db-1 ${ESCAPED}`), 'output holding a script shows as text');
  assert.ok(!shown.text.includes(XSS));
  assert.match(shown.text, /Succeeded/);
  const list = await request(w, 'GET', '/ui/runs', { cookie: viewer });
  assert.match(list.text, new RegExp(`href="/ui/runs/${runId}"`));
});

test('a run page that does not exist is 404; its stream ends at once', async () => {
  assert.equal((await request(w, 'GET', '/ui/runs/999', { cookie: ops })).status, 404);
  const res = await fetch(`${w.base}/ui/runs/999/events`, { headers: { cookie: ops } });
  assert.match(await res.text(), /event: end/);
});
