import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockTicks, parseStatCpu, parseStatPpid, procTreeCpu } from './proc.js';

/** A /proc/PID/stat line: utime, stime, cutime, cstime in ticks. */
const stat = (pid: number, ppid: number, u: number, s: number, cu = 0, cs = 0): string =>
  `${pid} (node a) b) S ${ppid} 1 1 0 -1 4194560 100 0 0 0 ${u} ${s} ${cu} ${cs} 20 0 1 0 100 1000 100\n`;

test('parseStatCpu (with reaped children) and parseStatPpid, a comm with spaces and parens', () => {
  const t = stat(10, 1, 300, 100, 50, 50);
  assert.equal(parseStatCpu(t, 100), 4);
  assert.equal(parseStatCpu(t, 100, true), 5);
  assert.equal(parseStatPpid(t), 1);
});

test('procTreeCpu: the root with its reaped children plus every live descendant, not its parent or siblings', () => {
  const root = mkdtempSync(join(tmpdir(), 'vigia-proc-'));
  try {
    const put = (pid: number, text: string): void => {
      mkdirSync(join(root, String(pid)));
      writeFileSync(join(root, String(pid), 'stat'), text);
    };
    const k = clockTicks();
    put(1, stat(1, 0, 1000 * k, 0));
    put(10, stat(10, 1, 1 * k, 1 * k, 3 * k, 0)); // the server: 2 s own + 3 s of exited workers
    put(11, stat(11, 10, 4 * k, 0)); // a worker
    put(12, stat(12, 11, 1 * k, 0)); // its child
    put(13, stat(13, 1, 100 * k, 0)); // a sibling: not counted
    mkdirSync(join(root, 'self'));
    assert.equal(procTreeCpu(10, root), 2 + 3 + 4 + 1);
    assert.ok(Number.isNaN(procTreeCpu(99, root)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
