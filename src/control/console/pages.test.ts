import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostReport } from '../../core/contracts/host-report.js';
import { loginWithToken, request, startConsoleWorld, type ConsoleWorld } from '../../../test/support/console.js';

const XSS = '<script>alert(1)</script>';
const PAGES = ['/ui/', '/ui/hosts', '/ui/hosts?q=db&tag=role%3Dmysql&sort=last_seen', '/ui/capacity', '/ui/performance', '/ui/audit', '/ui/rollouts', '/ui/runs', '/ui/slo', '/ui/logs'];
let w: ConsoleWorld;
let cookie: string;

function report(host: string, at: Date, usedPct: number): HostReport {
  const size = 100e9;
  return {
    v: 1, host, sampled_at: at.toISOString(), interval_seconds: 60, agent: { version: 'test' }, tags: { note: XSS },
    system: { cpu: { user_pct: 20, system_pct: 5, iowait_pct: 1, steal_pct: 0, idle_pct: 74, cpus: 8 }, load1: 1, load5: 1, load15: 1, mem_total_bytes: 64e9, mem_used_pct: 50, swap_used_pct: 0, uptime_seconds: 86_400, disks: [] },
    devices: [{ mountpoint: '/var/lib/mysql', device: '/dev/sdb', fstype: 'xfs', role: 'data', read_only: false, size_bytes: size, used_bytes: Math.round(size * usedPct / 100), avail_bytes: Math.round(size * (1 - usedPct / 100)), use_pct: Math.ceil(usedPct), inodes_total: 1000, inodes_used: 10, inode_use_pct: 1, error: null }],
    checks: { release: 1, results: [{ name: 'mysql.replication', state: 'CRITICAL', output: `lag ${XSS}`, at: at.toISOString(), duration_ms: 5 }] },
    processes: [{ pid: 4242, name: 'mysqld', user: 'mysql', cpu_pct: 187.5, rss_bytes: 8e9 }, { pid: 7, name: XSS.slice(0, 64), user: 'root', cpu_pct: 1, rss_bytes: 1e6 }],
  };
}

before(async () => {
  w = await startConsoleWorld();
  cookie = await loginWithToken(w, w.readToken);
});
after(() => w.close());

test('every page renders with 0 hosts', async () => {
  for (const p of PAGES) {
    const a = await request(w, 'GET', p, { cookie });
    assert.equal(a.status, 200, `${p}: ${a.text.slice(0, 300)}`);
    assert.match(a.text, /<main id="main"/);
  }
  assert.match((await request(w, 'GET', '/ui/rollouts', { cookie })).text, /--no-fleet/, 'without fleet services the page says so');
});

test('with data: every page renders it, and host-supplied text stays text', async () => {
  const now = new Date(w.clock.now);
  await w.store.maintainPartitions(now, 90);
  await w.store.enrollHost('db-1', 'sha256:x1', { role: 'mysql', owner: XSS }, new Date(now.getTime() - 7 * 86_400_000));
  await w.store.enrollHost('db-2', 'sha256:x2', { role: 'mysql' }, new Date(now.getTime() - 7 * 86_400_000));
  await w.store.enrollHost('web-1', 'sha256:x3', { role: 'web' }, new Date(now.getTime() - 7 * 86_400_000));
  const ids = new Map((await w.handle.query<{ id: number; name: string }>('SELECT id, name FROM hosts')).map((r) => [r.name, r.id]));
  const items = [];
  for (let h = 0; h < 6 * 24; h++) {
    const at = new Date(now.getTime() - (6 * 24 - h) * 3_600_000);
    items.push({ hostId: ids.get('db-1')!, receivedAt: at, source: 'push' as const, report: report('db-1', at, 80 + h / 10) });
    items.push({ hostId: ids.get('db-2')!, receivedAt: at, source: 'push' as const, report: report('db-2', at, 30) });
  }
  const outcomes = await w.store.ingest(items);
  assert.ok(outcomes.every((o) => o === 'stored'), outcomes.join(','));
  await w.store.audit('ops', 'test.xss', { note: XSS });

  const pages: Record<string, string> = {};
  for (const p of [...PAGES, '/ui/hosts/db-1', '/ui/capacity/chart?host=db-1&mount=%2Fvar%2Flib%2Fmysql', `/ui/performance?day=${new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)}`]) {
    const a = await request(w, 'GET', p, { cookie });
    assert.equal(a.status, 200, `${p}: ${a.text.slice(0, 300)}`);
    assert.ok(!a.text.includes(XSS), `${p} holds the raw script`);
    pages[p] = a.text;
  }
  const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
  assert.match(pages['/ui/']!, /db-1/, 'the critical volume is on the overview');
  assert.match(pages['/ui/']!, /web-1/, 'the silent host is on the overview');
  assert.match(pages['/ui/']!, /mysql\.replication/, 'the failing check is on the overview');
  assert.ok(pages['/ui/hosts']!.includes(escaped), 'an operator tag holding a script shows as text');
  assert.ok(pages['/ui/hosts/db-1']!.includes(`lag ${escaped}`), 'check output holding a script shows as text');
  assert.match(pages['/ui/hosts/db-1']!, /<td class="num">4242<\/td><td>mysqld<\/td><td>mysql<\/td><td class="num">187\.5<\/td>/, 'the top processes of the newest report');
  assert.ok(!pages['/ui/hosts/db-1']!.includes('reports no processes'));
  assert.ok(pages['/ui/audit']!.includes('test.xss'));
  assert.match(pages['/ui/hosts?q=db&tag=role%3Dmysql&sort=last_seen']!, /2 hosts match/);
  assert.match(pages['/ui/capacity']!, /\/var\/lib\/mysql/);
  assert.match(pages['/ui/capacity/chart?host=db-1&mount=%2Fvar%2Flib%2Fmysql']!, /type="application\/json"/);
  const fragment = await request(w, 'GET', '/ui/capacity/chart?host=db-1&mount=%2Fvar%2Flib%2Fmysql', { cookie, headers: { 'hx-request': 'true' } });
  assert.doesNotMatch(fragment.text, /<html/, 'htmx gets the fragment only');
  assert.equal((await request(w, 'GET', '/ui/hosts/nope', { cookie })).status, 404);
});

test('the hosts list pages by 100 and searches in SQL', async () => {
  const now = new Date(w.clock.now);
  for (let i = 0; i < 230; i++) await w.store.enrollHost(`bulk-${String(i).padStart(3, '0')}`, `sha256:b${i}`, { rack: i % 2 === 0 ? 'a' : 'b' }, now);
  const p1 = (await request(w, 'GET', '/ui/hosts?q=bulk', { cookie })).text;
  assert.match(p1, /230 hosts match/);
  assert.match(p1, /Page 1 of 3/);
  assert.equal((p1.match(/<tr><td><a href="\/ui\/hosts\//g) ?? []).length, 100);
  const p3 = (await request(w, 'GET', '/ui/hosts?q=bulk&page=3', { cookie })).text;
  assert.equal((p3.match(/<tr><td><a href="\/ui\/hosts\//g) ?? []).length, 30);
  assert.match((await request(w, 'GET', '/ui/hosts?q=bulk&tag=rack%3Da', { cookie })).text, /115 hosts match/);
  assert.match((await request(w, 'GET', '/ui/hosts?q=%25', { cookie })).text, /0 hosts match/, 'LIKE wildcards are literal');
});

test('a read-only session sees no state-changing button but its logout', async () => {
  for (const p of PAGES) {
    const html = (await request(w, 'GET', p, { cookie })).text;
    const forms = [...html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(forms, ['/ui/logout'], p);
    assert.doesNotMatch(html, /hx-post|hx-put|hx-delete/, p);
  }
});
