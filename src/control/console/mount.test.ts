import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSOLE_CSP } from './mount.js';
import type { ConsoleAction } from './page.js';
import { csrfOf, loginWithToken, request, sessionPair, startConsoleWorld, type ConsoleWorld } from '../../../test/support/console.js';

let w: ConsoleWorld;
const MIN = 60_000;
/** A state-changing action only `admin` may use, to test the wrapper every action gets. */
const poke: ConsoleAction = {
  name: '/ui/test/poke', path: /^\/ui\/test\/poke$/, scope: 'admin',
  handle: async ({ form, session }) => ({ fragment: `<p>poked by ${session.name} with ${form.get('x') ?? ''}</p>` }),
};

before(async () => {
  w = await startConsoleWorld({ units: { pages: (await import('./registry.js')).PAGES, actions: [poke], streams: [] } });
});
after(() => w.close());

async function auditActions(): Promise<string[]> {
  const rows = await w.handle.query<{ action: string }>('SELECT action FROM audit_log ORDER BY id');
  return rows.map((r) => r.action);
}

test('/ and /ui redirect to the console; without a session a page redirects to the login form', async () => {
  assert.equal((await request(w, 'GET', '/')).headers.get('location'), '/ui/');
  assert.equal((await request(w, 'GET', '/ui')).headers.get('location'), '/ui/');
  const a = await request(w, 'GET', '/ui/');
  assert.equal(a.status, 303);
  assert.equal(a.headers.get('location'), '/ui/login');
  const form = await request(w, 'GET', '/ui/login');
  assert.equal(form.status, 200);
  assert.match(form.text, /<label for="token">/);
});

test('every console answer carries the CSP and anti-framing headers, errors included', async () => {
  const cookie = await loginWithToken(w, w.readToken);
  for (const [method, path, c] of [['GET', '/', undefined], ['GET', '/ui/login', undefined], ['GET', '/ui/', cookie], ['GET', '/ui/nope', cookie], ['POST', '/ui/nope', undefined], ['POST', '/ui/logout', cookie], ['GET', '/ui/assets/000000000000/x.js', undefined]] as const) {
    const a = await request(w, method, path, c ? { cookie: c } : {});
    assert.equal(a.headers.get('content-security-policy'), CONSOLE_CSP, `${method} ${path} (${a.status})`);
    assert.equal(a.headers.get('x-frame-options'), 'DENY');
    assert.equal(a.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(a.headers.get('x-content-type-options'), 'nosniff');
  }
  assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
});

test('token login: HttpOnly SameSite=Strict cookie on /ui, the session has the token\'s name, failures are audited', async () => {
  const bad = await request(w, 'POST', '/ui/login', { form: { token: 'nope' } });
  assert.equal(bad.status, 401);
  assert.match(bad.text, /CONTROL_ERR_LOGIN_FAILED/);
  assert.equal(bad.headers.get('set-cookie'), null);
  const ok = await request(w, 'POST', '/ui/login', { form: { token: w.adminToken } });
  assert.equal(ok.status, 303);
  const setCookie = ok.headers.get('set-cookie')!;
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.match(setCookie, /Path=\/ui(;|$)/);
  assert.doesNotMatch(setCookie, /Secure/, 'no Secure without TLS (the browser would drop it over http)');
  const page = await request(w, 'GET', '/ui/', { cookie: sessionPair(ok) });
  assert.equal(page.status, 200);
  assert.match(page.text, /Signed in as <strong>ops<\/strong>/);
  // Only the hash of the id is stored.
  const id = sessionPair(ok).split('=')[1]!;
  const rows = await w.handle.query<{ id_hash: string }>('SELECT id_hash FROM console_sessions');
  assert.ok(rows.every((r) => !r.id_hash.includes(id)));
  const actions = await auditActions();
  assert.ok(actions.includes('console.login_failed'));
  assert.ok(actions.includes('console.login'));
});

test('a login from another site is refused (login CSRF)', async () => {
  const a = await request(w, 'POST', '/ui/login', { form: { token: w.adminToken }, headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } });
  assert.equal(a.status, 403);
  assert.equal(a.headers.get('set-cookie'), null);
});

test('login rotates the session id: the old cookie stops working', async () => {
  const first = await loginWithToken(w, w.readToken);
  const second = await loginWithToken(w, w.readToken, first);
  assert.notEqual(first, second);
  assert.equal((await request(w, 'GET', '/ui/', { cookie: first })).status, 303);
  assert.equal((await request(w, 'GET', '/ui/', { cookie: second })).status, 200);
});

test('one-time login links: admin only, at most the maker\'s scopes, single use, 10 minutes', async () => {
  assert.equal((await request(w, 'POST', '/v1/console/login-links', { token: w.readToken, json: {} })).status, 403);
  assert.equal((await request(w, 'POST', '/v1/console/login-links', { token: w.adminToken, json: { scopes: ['ingest'] } })).status, 403);
  const made = await request(w, 'POST', '/v1/console/login-links', { token: w.adminToken, json: { name: 'alice', scopes: ['read'] } });
  assert.equal(made.status, 200, made.text);
  const { path } = JSON.parse(made.text) as { path: string };
  assert.match(path, /^\/ui\/login\/[A-Za-z0-9_-]{43}$/);
  const used = await request(w, 'GET', path);
  assert.equal(used.status, 200);
  const cookie = sessionPair(used);
  const page = await request(w, 'GET', '/ui/', { cookie });
  assert.match(page.text, /Signed in as <strong>alice<\/strong> <span class="muted">\(read\)/);
  const again = await request(w, 'GET', path);
  assert.equal(again.status, 401);
  assert.match(again.text, /CONTROL_ERR_LOGIN_LINK/);
  const late = JSON.parse((await request(w, 'POST', '/v1/console/login-links', { token: w.adminToken, json: {} })).text) as { path: string };
  w.clock.now += 11 * MIN;
  try {
    assert.equal((await request(w, 'GET', late.path)).status, 401, 'expired after 10 minutes');
  } finally {
    w.clock.now -= 11 * MIN;
  }
});

test('idle expiry after 30 minutes without a request; absolute expiry after 12 hours whatever the use', async () => {
  const start = w.clock.now;
  try {
    const idle = await loginWithToken(w, w.readToken);
    w.clock.now += 29 * MIN;
    assert.equal((await request(w, 'GET', '/ui/', { cookie: idle })).status, 200);
    w.clock.now += 29 * MIN; // 29 min after the last use: still alive
    assert.equal((await request(w, 'GET', '/ui/', { cookie: idle })).status, 200);
    w.clock.now += 31 * MIN;
    assert.equal((await request(w, 'GET', '/ui/', { cookie: idle })).status, 303);
    const busy = await loginWithToken(w, w.readToken);
    for (let i = 0; i < 35; i++) {
      w.clock.now += 20 * MIN;
      const a = await request(w, 'GET', '/ui/', { cookie: busy });
      assert.equal(a.status, (i + 1) * 20 * MIN < 12 * 60 * MIN ? 200 : 303, `after ${(i + 1) * 20} min`);
    }
  } finally {
    w.clock.now = start;
  }
});

test('logout needs the CSRF token, deletes the session and is audited', async () => {
  const cookie = await loginWithToken(w, w.readToken);
  const other = await loginWithToken(w, w.readToken);
  const csrf = csrfOf((await request(w, 'GET', '/ui/', { cookie })).text);
  const otherCsrf = csrfOf((await request(w, 'GET', '/ui/', { cookie: other })).text);
  assert.notEqual(csrf, otherCsrf);
  const none = await request(w, 'POST', '/ui/logout', { cookie, form: {} });
  assert.equal(none.status, 403);
  assert.match(none.text, /CONTROL_ERR_CSRF/);
  assert.equal((await request(w, 'POST', '/ui/logout', { cookie, form: { _csrf: otherCsrf } })).status, 403, "another session's token");
  assert.equal((await request(w, 'POST', '/ui/logout', { cookie, form: { _csrf: csrf }, headers: { origin: 'http://evil.example' } })).status, 403, 'another origin');
  assert.equal((await request(w, 'GET', '/ui/', { cookie })).status, 200, 'still signed in after the refusals');
  const out = await request(w, 'POST', '/ui/logout', { cookie, form: { _csrf: csrf }, headers: { origin: w.base, 'sec-fetch-site': 'same-origin' } });
  assert.equal(out.status, 303);
  assert.match(out.headers.get('set-cookie')!, /Max-Age=0/);
  assert.equal((await request(w, 'GET', '/ui/', { cookie })).status, 303);
  const actions = await auditActions();
  assert.ok(actions.includes('console.logout'));
  assert.ok(actions.includes('request.rejected'), 'CSRF refusals are audited');
});

test('actions: a read-only session is refused by scope; CSRF by header or form field; no session is 401', async () => {
  const viewer = await loginWithToken(w, w.readToken);
  const viewerCsrf = csrfOf((await request(w, 'GET', '/ui/', { cookie: viewer })).text);
  const refused = await request(w, 'POST', '/ui/test/poke', { cookie: viewer, form: { _csrf: viewerCsrf } });
  assert.equal(refused.status, 403);
  assert.match(refused.text, /VIGIA_ERR_FORBIDDEN/);
  const ops = await loginWithToken(w, w.adminToken);
  const csrf = csrfOf((await request(w, 'GET', '/ui/', { cookie: ops })).text);
  assert.equal((await request(w, 'POST', '/ui/test/poke', { cookie: ops, form: { x: '1' } })).status, 403);
  const byForm = await request(w, 'POST', '/ui/test/poke', { cookie: ops, form: { x: '1', _csrf: csrf } });
  assert.equal(byForm.status, 200);
  assert.match(byForm.text, /poked by ops with 1/);
  const byHeader = await request(w, 'POST', '/ui/test/poke', { cookie: ops, form: { x: '2' }, headers: { 'x-csrf-token': csrf } });
  assert.match(byHeader.text, /with 2/);
  assert.equal((await request(w, 'POST', '/ui/test/poke', { form: { _csrf: csrf } })).status, 401);
});

test('assets are served under a content hash with immutable caching', async () => {
  const cookie = await loginWithToken(w, w.readToken);
  const page = (await request(w, 'GET', '/ui/', { cookie })).text;
  const urls = [...page.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  assert.equal(urls.length, 5);
  for (const u of urls) {
    const a = await request(w, 'GET', u);
    assert.equal(a.status, 200, u);
    assert.match(a.headers.get('cache-control')!, /immutable/);
  }
  assert.doesNotMatch(page, /<script>|<style|style="|onclick=/i, 'no inline script or style');
});
