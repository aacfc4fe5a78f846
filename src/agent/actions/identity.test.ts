import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VigiaError } from '../../core/errors.js';
import { canSwitchUsers, childIdentity, exposure, type GuardedFile } from './identity.js';

test('canSwitchUsers needs both CAP_SETUID and CAP_SETGID in CapEff', () => {
  const cases: Array<[string, boolean]> = [
    ['CapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n', true], // root
    ['CapEff:\t0000000000000000\n', false], // --cap-drop ALL, root or not
    ['CapEff:\t00000000000000c0\n', true], // exactly SETGID (6) and SETUID (7)
    ['CapEff:\t0000000000000080\n', false], // SETUID only
    ['CapEff:\t00000000000800c2\n', true], // the systemd unit's set: SETGID SETUID DAC_READ_SEARCH SYS_PTRACE (+KILL elsewhere)
    ['CapPrm:\t000001ffffffffff\n', false], // no CapEff line
    ['', false],
  ];
  for (const [status, want] of cases) assert.equal(canSwitchUsers(status), want, status);
});

test('childIdentity refuses every configuration where children would share the agent uid or be root', () => {
  const nobody = { uid: 65534, gid: 65534 };
  const base = { agentUid: 0, canSwitch: true, userName: 'nobody', user: nobody, startedBy: ['--actions-dir'] };
  assert.deepEqual(childIdentity(base), nobody);
  assert.deepEqual(childIdentity({ ...base, agentUid: 10001 }), nobody, 'a non-root agent with CAP_SETUID/CAP_SETGID may switch');
  const refusals: Array<[Partial<typeof base> & { user?: typeof nobody | undefined }, RegExp]> = [
    [{ agentUid: 10001, canSwitch: false }, /: --actions-dir: the agent \(uid 10001\) cannot switch .*--no-actions/],
    [{ agentUid: 0, canSwitch: false, startedBy: ['--actions-dir', '--bundle-key'] }, /: --actions-dir and --bundle-key: the agent \(uid 0\) cannot switch/],
    [{ agentUid: 10001, userName: 'vigia', user: { uid: 10001, gid: 10001 } }, /--actions-user vigia is uid 10001, the agent's own/],
    [{ userName: 'root', user: { uid: 0, gid: 0 } }, /--actions-user root is uid 0/],
    [{ userName: 'ghost', user: undefined }, /--actions-user: user "ghost" not found/],
  ];
  for (const [change, want] of refusals) {
    assert.throws(() => childIdentity({ ...base, ...change }), (e: unknown) => e instanceof VigiaError && e.code === 'VIGIA_ERR_CONFIG' && want.test(e.message), JSON.stringify(change));
  }
});

test('exposure: what a child user could write or read, by owner, group, other bits and reachability', () => {
  const id = { uid: 65534, gid: 65534 };
  const w: GuardedFile = { flag: '--audit-log', path: '/var/lib/vigia/audit.log', guard: 'write' };
  const r: GuardedFile = { flag: '--report-token-file', path: '/etc/vigia/host.token', guard: 'read' };
  const st = (uid: number, gid: number, mode: number, isDirectory = false, reachable = true) => ({ uid, gid, mode, isDirectory, reachable });
  const cases: Array<[GuardedFile, ReturnType<typeof st>, boolean]> = [
    [w, st(0, 0, 0o600), false],
    [w, st(0, 0, 0o666), true],
    [w, st(0, 0, 0o666, false, false), false], // a parent it cannot search
    [w, st(0, 65534, 0o620), true], // its group may write
    [w, st(65534, 0, 0o400), true], // its own, read-only now: it may chmod it
    [w, st(0, 0, 0o777, true), true], // a directory: it could replace the file
    [w, st(0, 0, 0o1777, true), false], // sticky: it cannot remove or rename our entries
    [w, st(65534, 0, 0o1700, true), true], // sticky but its own
    [r, st(0, 0, 0o600), false],
    [r, st(0, 0, 0o644), true],
    [r, st(0, 65534, 0o640), true],
    [r, st(0, 0, 0o604, false, false), false],
    [r, st(65534, 65534, 0o000), true], // its own
  ];
  for (const [file, s, exposed] of cases) assert.equal(exposure(file, s, id) !== undefined, exposed, `${file.guard} ${JSON.stringify(s)}`);
  assert.equal(exposure(w, st(0, 0, 0o666), id), '--audit-log: uid 65534 can write /var/lib/vigia/audit.log (uid 0, gid 0, mode 0666)');
});
