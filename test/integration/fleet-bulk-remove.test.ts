/**
 * Removing the simulated fleet in bulk, with the built binaries against a real `vigia server`:
 * `vigia server remove --where simulated=true` shows the count and removes nothing without --yes,
 * removes exactly the selected hosts with it (one `host.remove` audit row per host), and leaves
 * the real hosts alone; the API refuses a bulk removal whose count was not confirmed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startControl, vigia, type ControlProcess } from '../support/control-process.js';
import { tempDir } from '../support/tmp.js';

const work = tempDir('vigia-bulk-remove-');
let control: ControlProcess;

before(async () => {
  control = await startControl({});
});

after(async () => {
  await control?.stop().catch(() => undefined);
  control?.remove();
  work.remove();
});

test('server remove --where simulated=true: count and confirmation, exactly the selected hosts, an audit row each', { timeout: 120_000 }, async () => {
  const admin = ['--server', control.url, '--token-file', control.adminTokenFile];
  for (const [host, tags] of [['sim-000001', ['--tag', 'simulated=true']], ['sim-000002', ['--tag', 'simulated=true']], ['db-real', ['--tag', 'role=db']]] as const) {
    const e = vigia(['server', 'enroll', '--host', host, ...tags, ...admin, '--write-token-file', join(work.dir, `${host}.token`)]);
    assert.equal(e.status, 0, e.stderr);
  }
  const names = async () => ((await control.fetch('/v1/hosts')).body as { hosts: { host?: string; name?: string }[] }).hosts.map((h) => h.host ?? h.name).sort();

  const ask = vigia(['server', 'remove', '--where', 'simulated=true', ...admin]);
  assert.equal(ask.status, 1, ask.stderr);
  assert.match(ask.stdout, /--where selects 2 hosts: sim-000001, sim-000002\nnothing removed: run again with --yes/);
  assert.deepEqual(await names(), ['db-real', 'sim-000001', 'sim-000002']);

  // The API: more than one host without the confirmed count is refused.
  const raw = await control.fetch('/v1/hosts/remove', { method: 'POST', token: control.adminToken, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ where: { simulated: 'true' } }) });
  assert.equal(raw.status, 400, JSON.stringify(raw.body));
  assert.deepEqual(await names(), ['db-real', 'sim-000001', 'sim-000002']);

  const yes = vigia(['server', 'remove', '--where', 'simulated=true', '--yes', ...admin]);
  assert.equal(yes.status, 0, yes.stderr);
  assert.match(yes.stderr, /removed 2 hosts: sim-000001, sim-000002/);
  assert.deepEqual(await names(), ['db-real']);
  const audit = ((await control.fetch('/v1/audit?limit=50')).body as { lines: { action: string; detail: { host?: string } }[] }).lines;
  assert.deepEqual(audit.filter((l) => l.action === 'host.remove').map((l) => l.detail.host).sort(), ['sim-000001', 'sim-000002']);

  const none = vigia(['server', 'remove', '--where', 'simulated=true', '--yes', ...admin]);
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stderr, /no host matches --where: nothing removed/);
});
