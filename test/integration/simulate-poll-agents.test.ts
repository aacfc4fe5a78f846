import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateSigningKeyPair } from '../../src/core/contracts/bundle.js';
import { enrollPollAgents, publishSimBundle, type PollAgents } from '../../src/control/simulate/poll-agents.js';
import { startControl, type ControlProcess } from '../support/control-process.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const HOSTS = 20;
const keys = generateSigningKeyPair();
const dir = tempDir('vigia-poll-agents-');
let control: ControlProcess;
let fleet: PollAgents;

before(async () => {
  const pub = join(dir.dir, 'bundle.pub');
  writeFileSync(pub, keys.publicKeyPem);
  control = await startControl({ args: ['--bundle-public-key', pub] });
  fleet = await enrollPollAgents({ url: control.url, adminToken: control.adminToken, hosts: HOSTS, trustedKeys: [keys.publicKeyPem], prefix: 'pa' });
});

after(async () => {
  await fleet?.close();
  await control?.stop();
  control?.remove();
  dir.remove();
});

test('simulated agents converge on a published release and answer a fleet run', { timeout: 120_000 }, async () => {
  assert.equal(fleet.enrolled, HOSTS);
  fleet.start({ pollWaitSeconds: 20 });
  await waitFor('first polls', () => fleet.firstPollsDone() === HOSTS, 20_000, 50);
  await waitFor('polls parked', () => fleet.stats().parked === HOSTS, 20_000, 50);

  const { release } = await publishSimBundle(control.url, control.adminToken, keys.privateKeyPem, { waves: [1, 10, 100], soak_ms: 0, wave_timeout_ms: 60_000, max_failure_rate: 0.05 });
  const view = await waitFor('rollout completed', async () => {
    const v = (await control.fetch('/v1/rollouts/current')).body as { state: string; perWave: { applied: number }[] };
    return v.state === 'completed' ? v : undefined;
  }, 60_000, 250);
  assert.equal(view.perWave.reduce((a, w) => a + w.applied, 0), HOSTS);
  // The server counts a host applied once its bundle-status arrives; the simulated agent counts its
  // install when that answer returns and then sends its check report, so the last of those may still
  // be in flight here. Wait until every host's report has been answered (stored or failed), then check.
  const reportFailures = (): number => Object.entries(fleet.stats().errors).reduce((n, [k, v]) => n + (k.startsWith('report_') ? v : 0), 0);
  await waitFor('check reports answered', () => fleet.stats().installed === HOSTS && fleet.stats().reports + reportFailures() >= HOSTS, 20_000, 20);
  assert.equal(fleet.running(release), HOSTS);
  assert.equal(fleet.deliveries(release).length, HOSTS);
  let s = fleet.stats();
  assert.equal(s.downloads, HOSTS, 'every host downloads the archive itself');
  assert.equal(s.installed, HOSTS);
  assert.equal(s.reports, HOSTS);
  assert.equal(s.refused, 0);
  assert.deepEqual(s.errors, {});

  const run = await control.fetch('/v1/runs', {
    method: 'POST', token: control.runToken, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'noop', params: {}, all: true, concurrency: '1000', max_errors: '0', timeout_ms: 30_000 }),
  });
  assert.equal(run.status, 200, run.text);
  const id = (run.body as { run: { id: number } }).run.id;
  const done = await waitFor('run finished', async () => {
    const v = (await control.fetch(`/v1/runs/${id}`)).body as { state: string; counts: { succeeded: number } };
    return v.state !== 'running' && v.state !== 'stopping' ? v : undefined;
  }, 60_000, 100);
  assert.equal(done.state, 'succeeded');
  assert.equal(done.counts.succeeded, HOSTS);
  s = fleet.stats();
  assert.equal(s.tasksAnswered, HOSTS);
  await fleet.stopLoops();
  assert.equal(fleet.stats().parked, 0);
});
