import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEASE_MS, lockVerdict, parseLockRecord, type LockHolder } from './file-lock.js';

const self: LockHolder = { pid: 100, start: '5000', pidNs: 'pid:[1]', bootId: 'boot-a' };
const probe = (alive: Record<number, string>) => ({ alive: (pid: number) => pid in alive, startOf: (pid: number) => alive[pid] });

test('lock verdicts', () => {
  const cases: [string, LockHolder | undefined, number, Record<number, string>, ReturnType<typeof lockVerdict>][] = [
    ['live holder, same host', { pid: 7, start: '42', pidNs: 'pid:[1]', bootId: 'boot-a' }, 0, { 7: '42' }, 'held'],
    ['dead holder, same host', { pid: 7, start: '42', pidNs: 'pid:[1]', bootId: 'boot-a' }, 0, {}, 'stale'],
    ['pid reused by another process', { pid: 7, start: '42', pidNs: 'pid:[1]', bootId: 'boot-a' }, 0, { 7: '99' }, 'stale'],
    ['this very process', { ...self }, 0, {}, 'held'],
    ['another container (pid 1 both), fresh lease', { pid: 1, start: '10', pidNs: 'pid:[2]', bootId: 'boot-a' }, 1000, {}, 'wait'],
    ['another container, lease expired', { pid: 1, start: '10', pidNs: 'pid:[2]', bootId: 'boot-a' }, LEASE_MS + 1, {}, 'stale'],
    ['another host or boot, fresh lease', { pid: 7, start: '42', pidNs: 'pid:[1]', bootId: 'boot-b' }, 1000, { 7: '42' }, 'wait'],
    ['unreadable or half-written, fresh', undefined, 10, {}, 'wait'],
    ['unreadable, old', undefined, LEASE_MS + 1, {}, 'stale'],
  ];
  for (const [name, holder, age, alive, expected] of cases) assert.equal(lockVerdict(holder, self, age, probe(alive)), expected, name);
});

test('lock records parse only when complete', () => {
  assert.deepEqual(parseLockRecord('12 345 pid:[9] abc\n'), { pid: 12, start: '345', pidNs: 'pid:[9]', bootId: 'abc' });
  for (const t of ['', '12', '12 345 pid:[9] abc', 'x 1 2 3\n']) assert.equal(parseLockRecord(t), undefined, JSON.stringify(t));
});
