import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, renderDrift, renderRolloutStatus, watchFrame, type RolloutStatusView } from './render.js';

const T0 = Date.UTC(2026, 11, 1, 8);
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*m/g;

const view: RolloutStatusView = {
  id: 42,
  bundle: 'db-checks',
  release: 5,
  previousRelease: 4,
  state: 'running',
  waves: [1, 10, 100],
  currentWave: 1,
  perWave: [
    { wave: 0, percent: 1, hosts: 100, applied: 100, failed: 0, stuck: 0 },
    { wave: 1, percent: 10, hosts: 1000, applied: 640, failed: 2, stuck: 0 },
    { wave: 2, percent: 100, hosts: 10_000, applied: 0, failed: 0, stuck: 0 },
  ],
  installFailureRate: 0.002,
  checkFailureRate: 0.02,
  baselineRate: 0.018,
  startedAt: T0,
  updatedAt: T0 + 30 * 60_000,
  reason: 'wave 2/3: waiting for 358 of 1000 hosts (640 applied, 2 failed, 0 stuck)',
};

test('progressBar: table', () => {
  const cases: [Parameters<typeof progressBar>[0], number, string][] = [
    [{ hosts: 1000, applied: 640, failed: 2, stuck: 0 }, 20, '[#############!......]'], // 12.8 -> 13, 2 -> at least 1
    [{ hosts: 100, applied: 100, failed: 0, stuck: 0 }, 20, '[####################]'],
    [{ hosts: 100, applied: 0, failed: 0, stuck: 0 }, 10, '[..........]'],
    [{ hosts: 1000, applied: 999, failed: 0, stuck: 0 }, 10, '[#########.]'], // never full while someone is pending
    [{ hosts: 1000, applied: 998, failed: 1, stuck: 0 }, 20, '[##################!.]'],
    [{ hosts: 100, applied: 90, failed: 0, stuck: 10 }, 10, '[#########?]'],
    [{ hosts: 1, applied: 0, failed: 1, stuck: 0 }, 5, '[!!!!!]'],
    [{ hosts: 4, applied: 2, failed: 1, stuck: 1 }, 8, '[####!!??]'],
    [{ hosts: 0, applied: 0, failed: 0, stuck: 0 }, 4, '[    ]'],
  ];
  for (const [p, width, want] of cases) assert.equal(progressBar(p, width), want, JSON.stringify(p));
});

test('renderRolloutStatus: plain text', () => {
  assert.equal(
    renderRolloutStatus(view),
    [
      'rollout 42  bundle db-checks  release 4 -> 5  running',
      'reason: wave 2/3: waiting for 358 of 1000 hosts (640 applied, 2 failed, 0 stuck)',
      'wave 1    1 %     100 hosts  [####################]  100 applied  0 failed  0 stuck',
      'wave 2   10 %   1,000 hosts  [#############!......]  640 applied  2 failed  0 stuck  <- current',
      'wave 3  100 %  10,000 hosts  [....................]    0 applied  0 failed  0 stuck',
      'install failures 0.2 %  checks failing 2.0 % (baseline 1.8 %)',
      'waves 1 %, 10 %, 100 %  started 2026-12-01T08:00:00.000Z  updated 2026-12-01T08:30:00.000Z',
      '',
    ].join('\n'),
  );
});

test('renderRolloutStatus: variants', () => {
  const first = renderRolloutStatus({ ...view, previousRelease: null, state: 'rolling_back', reason: '', startedAt: '2026-12-01 08:00' });
  assert.match(first, /^rollout 42 {2}bundle db-checks {2}release none -> 5 {2}rolling back\n/);
  assert.doesNotMatch(first, /reason:/);
  assert.doesNotMatch(first, /<- current/, 'only an active rollout points at a wave');
  assert.match(first, /started 2026-12-01 08:00 /);
  assert.doesNotMatch(first, ANSI_RE);

  const none = renderRolloutStatus({ ...view, state: 'completed', hosts: { counted: 11_100, neverPolled: 11_100 }, perWave: view.perWave.map((w) => ({ ...w, applied: 0, failed: 0, stuck: w.hosts })) });
  assert.match(none.split('\n')[0]!, /completed \(nothing applied\)$/);
  assert.match(renderRolloutStatus({ ...view, state: 'completed' }).split('\n')[0]!, / completed$/, 'a completion some host applied is plain');
  const colored = renderRolloutStatus(view, { color: true });
  assert.match(colored, /\u001b\[36mrunning\u001b\[0m/);
  assert.match(colored, /\u001b\[31m2 failed\u001b\[0m/);
  assert.equal(colored.replace(ANSI_RE, ''), renderRolloutStatus(view), 'colours do not change the layout');

  const hostile = renderRolloutStatus({ ...view, bundle: 'x\u001b[2Jy', reason: 'a\nb' });
  assert.match(hostile, /bundle x\\x1b\[2Jy /);
  assert.match(hostile, /reason: a\\x0ab\n/);
  const bidi = renderRolloutStatus({ ...view, bundle: 'x\u202ey', reason: 'install failed: \u2066evil\u2069\u200b' });
  assert.equal(/[\p{Cf}]/u.exec(bidi), null, 'no raw format character');
  assert.match(bidi, /bundle x\\u202ey /);
  assert.match(bidi, /reason: install failed: \\u2066evil\\u2069\\u200b\n/);
});

test('renderDrift: releases and stuck hosts', () => {
  const rows = [
    { release: 4, hosts: 8998, stuck: [{ host: 'db-00043', reason: 'still on 4 after 10 min in wave 1', lastSeen: T0 }] },
    { release: 5, hosts: 742, stuck: [{ host: 'db-00042', reason: 'install failed: signature', lastSeen: T0 + 60_000 }] },
    { release: null, hosts: 3, stuck: [{ host: 'web-\u001b[31mx', reason: 'not polled for 12 min', lastSeen: null }] },
  ];
  const want = [
    'release  hosts  stuck',
    '5          742      1',
    '4        8,998      1',
    'none         3      1',
    'total    9,743      3',
    '',
    'stuck hosts (3)',
    'host           release  last seen                 why',
    'db-00042       5        2026-12-01T08:01:00.000Z  install failed: signature',
    'db-00043       4        2026-12-01T08:00:00.000Z  still on 4 after 10 min in wave 1',
    'web-\\x1b[31mx  none     never                     not polled for 12 min',
    '',
  ].join('\n');
  assert.equal(renderDrift(rows), want);
  assert.equal(renderDrift(rows, { color: true }).replace(ANSI_RE, ''), want);
  assert.match(renderDrift(rows, { color: true }), /\u001b\[33minstall failed: signature\u001b\[0m/);

  const limited = renderDrift(rows, { stuckLimit: 1 });
  assert.match(limited, /stuck hosts \(3\)\nhost {6}release {2}last seen {17}why\ndb-00042 .*\n\.\.\. and 2 more\n$/);

  assert.equal(renderDrift([{ release: 5, hosts: 10, stuck: [] }]), 'release  hosts  stuck\n5           10      0\ntotal       10      0\n\nno stuck hosts\n');
  assert.equal(renderDrift([]), 'release  hosts  stuck\ntotal        0      0\n\nno stuck hosts\n');
});

test('renderRolloutStatus: hosts that never polled, and an empty rollout, are said', () => {
  const polled = renderRolloutStatus({ ...view, hosts: { counted: 11_100, neverPolled: 0 } });
  assert.equal(polled, renderRolloutStatus(view), 'nothing to say when every counted host polled');
  const silent = renderRolloutStatus({ ...view, hosts: { counted: 11_100, neverPolled: 1200 } }).split('\n');
  assert.equal(silent[2], 'hosts: 1,200 of 11,100 enrolled hosts never polled: counted apart, they neither pass nor hold a wave (see rollout drift)');
  const empty = renderRolloutStatus({
    ...view, state: 'completed', currentWave: 2, hosts: { counted: 0, neverPolled: 0 }, reason: 'completed with no host: no enrolled host was counted',
    perWave: view.perWave.map((w) => ({ ...w, hosts: 0, applied: 0, failed: 0 })),
  }).split('\n');
  assert.equal(empty[0], 'rollout 42  bundle db-checks  release 4 -> 5  completed (no host)');
  assert.equal(empty[2], 'hosts: none counted: no enrolled host when it was published, so it was installed nowhere');
  assert.ok(!empty.some((l) => /^rollout .* completed$/.test(l)), 'never a bare "completed"');
  const none = renderRolloutStatus({ ...view, state: 'completed', hosts: { counted: 11_100, neverPolled: 11_100 }, perWave: view.perWave.map((w) => ({ ...w, applied: 0, failed: 0, stuck: w.hosts })) });
  assert.match(none.split('\n')[0]!, /completed \(nothing applied\)$/);
  assert.match(renderRolloutStatus({ ...view, state: 'completed' }).split('\n')[0]!, / completed$/, 'a completion some host applied is plain');
  const colored = renderRolloutStatus({ ...view, state: 'completed', hosts: { counted: 0, neverPolled: 0 } }, { color: true });
  assert.match(colored.split('\n')[0]!, /\u001b\[33mcompleted \(no host\)\u001b\[0m$/, 'yellow, not the green of a success');
});

test('watchFrame: without a terminal, a frame is printed only when it changed (CI logs get changes, not a block a second)', () => {
  const a = renderRolloutStatus(view);
  const b = renderRolloutStatus({ ...view, reason: 'wave 2/3: waiting for 300 of 1000 hosts' });
  assert.equal(watchFrame(undefined, a, false), a);
  assert.equal(watchFrame(a, a, false), null);
  assert.equal(watchFrame(a, b, false), b);
  // A terminal redraws in place every time: clear screen, then the frame.
  assert.equal(watchFrame(a, a, true), `\u001b[H\u001b[2J${a}`);
});

test('renderRolloutStatus: hosts that never polled are shown apart, per wave', () => {
  const lines = renderRolloutStatus({ ...view, hosts: { counted: 11_100, neverPolled: 10 }, perWave: view.perWave.map((w, i) => ({ ...w, neverPolled: i === 1 ? 10 : 0 })) }).split('\n');
  assert.equal(lines[2], 'hosts: 10 of 11,100 enrolled hosts never polled: counted apart, they neither pass nor hold a wave (see rollout drift)');
  assert.match(lines[4]!, /^wave 2 .* 0 stuck {2}10 never polled {2}<- current$/);
});

test('renderRolloutStatus: a selective rollout names its --where and the hosts that stay outside it', () => {
  const lines = renderRolloutStatus({ ...view, reason: '', selector: { role: 'db', 'reported:az': 'a' }, hosts: { counted: 400, neverPolled: 0, outside: 10_700 } }).split('\n');
  assert.equal(lines[1], 'selection: --where role=db,reported:az=a; 10,700 other hosts stay on their release');
  const one = renderRolloutStatus({ ...view, reason: '', selector: { role: 'db' }, hosts: { counted: 1, neverPolled: 0, outside: 1 } }).split('\n');
  assert.equal(one[1], 'selection: --where role=db; 1 other host stays on their release');
  assert.ok(!renderRolloutStatus({ ...view, selector: null }).includes('selection:'), 'a whole-fleet rollout says nothing of it');
});
