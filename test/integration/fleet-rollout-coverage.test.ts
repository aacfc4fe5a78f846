/**
 * Which hosts a rollout counts, with the built binaries: a real `vigia server`, `vigia bundle publish`
 * and `vigia rollout status`, no agent running.
 *
 * - publishing to a fleet with no host completes, but the status says it installed nothing
 *   (`completed (no host)`), never a bare "completed: 0 of 0 hosts applied";
 * - hosts enrolled after the server started (through the API, as another worker would) that have not
 *   polled yet are counted apart: they neither pass nor hold it, and the status says how many never polled.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startControl, vigia, type ControlProcess } from '../support/control-process.js';
import { waitFor } from '../support/wait.js';
import { tempDir } from '../support/tmp.js';

const work = tempDir('vigia-coverage-');
const keyPrefix = join(work.dir, 'signing');
let control: ControlProcess;

function bundle(name: string): string {
  const dir = join(work.dir, name);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'vigia-checks.yaml'), ['apiVersion: vigia/v1', 'kind: CheckBundle', 'name: fleet', 'checks:', '  - name: probe', '    command: bin/probe.sh', ''].join('\n'));
  writeFileSync(join(dir, 'bin', 'probe.sh'), `#!/bin/sh\necho "OK - ${name}"\n`);
  chmodSync(join(dir, 'bin', 'probe.sh'), 0o755);
  return dir;
}

function status(): string {
  const s = vigia(['rollout', 'status', '--server', control.url, '--token-file', control.readTokenFile]);
  assert.equal(s.status, 0, s.stderr);
  return s.stdout;
}

before(async () => {
  const kg = vigia(['bundle', 'keygen', '--out', keyPrefix]);
  assert.equal(kg.status, 0, kg.stderr);
  control = await startControl({ args: ['--bundle-public-key', `${keyPrefix}.pub`] });
});

after(async () => {
  await control?.stop().catch(() => undefined);
  control?.remove();
  work.remove();
});

test('an empty rollout completes saying it installed nothing; enrolled hosts that never polled are counted apart and do not hold the next one', { timeout: 120_000 }, async () => {
  const publishing = (dir: string, extra: string[] = []) => vigia(['bundle', 'publish', dir, '--key', `${keyPrefix}.key`, '--server', control.url, '--token-file', control.adminTokenFile, '--soak', '0', '--waves', '100', ...extra]);
  const publish = (dir: string, extra: string[] = []): void => {
    const p = publishing(dir, extra);
    assert.equal(p.status, 0, p.stderr);
  };

  publish(bundle('empty'));
  const empty = await waitFor('the empty rollout settles', async () => {
    const v = (await control.fetch('/v1/rollouts/current')).body as { state: string; empty: boolean; hosts: unknown; reason: string };
    return v.state === 'completed' ? v : undefined;
  }, 30_000, 100);
  assert.equal(empty.empty, true);
  assert.deepEqual(empty.hosts, { counted: 0, neverPolled: 0, outside: 0 });
  assert.match(empty.reason, /^completed with no host/);
  const out = status();
  assert.match(out, /^rollout \d+ .* completed \(no host\)$/m);
  assert.match(out, /installed nowhere/);
  assert.doesNotMatch(out, /0 of 0 hosts applied/);

  // Three hosts enrolled through the API after the server started; no agent polls.
  for (const host of ['cov-a', 'cov-b', 'cov-c']) {
    const e = vigia(['server', 'enroll', '--host', host, '--server', control.url, '--token-file', control.adminTokenFile, '--write-token-file', join(work.dir, `${host}.token`)]);
    assert.equal(e.status, 0, e.stderr);
  }
  publish(bundle('second'));
  const held = await waitFor('the rollout settles without the silent hosts', async () => {
    const v = (await control.fetch('/v1/rollouts/current')).body as { state: string; empty: boolean; hosts: { counted: number; neverPolled: number }; reason: string };
    return v.state === 'completed' ? v : undefined;
  }, 30_000, 100);
  assert.equal(held.empty, false);
  assert.deepEqual(held.hosts, { counted: 3, neverPolled: 3, outside: 0 });
  assert.match(held.reason, /^completed without installing release \d+ anywhere: .*3 never polled, not counted/);
  assert.match(status(), /hosts: 3 of 3 enrolled hosts never polled/);

  // --where: a selection that picks nobody is refused in one line; one that picks cov-a counts only it.
  const none = publishing(bundle('third'), ['--where', 'role=nosuch']);
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /CONTROL_ERR_NO_TARGETS.*--where role=nosuch selects no enrolled host/);
  assert.doesNotMatch(none.stderr, /\n\s+at /, 'no stack trace');
  publish(bundle('third'), ['--where', 'host=cov-a']);
  const selective = await waitFor('the selective rollout settles', async () => {
    const v = (await control.fetch('/v1/rollouts/current')).body as { state: string; selector: unknown; hosts: unknown };
    return v.state === 'completed' ? v : undefined;
  }, 30_000, 100);
  assert.deepEqual(selective.selector, { host: 'cov-a' });
  assert.deepEqual(selective.hosts, { counted: 1, neverPolled: 1, outside: 2 });
  assert.match(status(), /^selection: --where host=cov-a; 2 other hosts stay on their release$/m);
});
