import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ProcessSampler,
  formatCmdline,
  parsePasswd,
  parseProcPidIo,
  parseProcPidStat,
  parseProcPidStatus,
  rankProcesses,
  type ProcessRecord,
  type ProcessScan,
} from './processes.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/host-a', import.meta.url));

const TAIL = '1 100 100 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 7 0 4200 123456789 300 18446744073709551615';
const statCases: { name: string; text: string; want: Partial<ReturnType<typeof parseProcPidStat>> | RegExp }[] = [
  { name: 'plain comm', text: `100 (mysqld) S ${TAIL}\n`, want: { pid: 100, comm: 'mysqld', state: 'S', utimeTicks: 250, stimeTicks: 50, threads: 7, startTicks: 4200, rssPages: 300 } },
  { name: 'comm with spaces', text: `100 (Web Content) R ${TAIL}`, want: { comm: 'Web Content', state: 'R', threads: 7 } },
  { name: 'comm with ")" and "(" inside', text: `100 (a) b (c)) D ${TAIL}`, want: { comm: 'a) b (c)', state: 'D', utimeTicks: 250 } },
  { name: 'no parentheses', text: '100 mysqld S 1 2', want: /malformed/ },
  { name: 'truncated', text: '100 (x) S 1', want: /malformed/ },
];
for (const c of statCases) {
  test(`parseProcPidStat: ${c.name}`, () => {
    if (c.want instanceof RegExp) assert.throws(() => parseProcPidStat(c.text), c.want);
    else assert.deepEqual({ ...parseProcPidStat(c.text), ...c.want }, parseProcPidStat(c.text));
  });
}

test('parseProcPidStatus: uid, VmRSS in bytes, threads; kernel threads have no VmRSS', () => {
  assert.deepEqual(parseProcPidStatus('Name:\tx\nUid:\t106\t106\t106\t106\nVmRSS:\t    1764 kB\nThreads:\t3\n'), { uid: 106, rssBytes: 1764 * 1024, threads: 3 });
  assert.deepEqual(parseProcPidStatus('Name:\tkworker\nUid:\t0\t0\t0\t0\nThreads:\t1\n'), { uid: 0, rssBytes: null, threads: 1 });
});

test('parseProcPidIo: storage bytes, not rchar/wchar', () => {
  assert.deepEqual(parseProcPidIo('rchar: 1\nwchar: 2\nread_bytes: 4096\nwrite_bytes: 8192\n'), { readBytes: 4096, writeBytes: 8192 });
  assert.throws(() => parseProcPidIo('rchar: 1\n'), /malformed/);
});

test('parsePasswd: uid -> name, first wins, comments and junk skipped', () => {
  const m = parsePasswd('# c\nroot:x:0:0::/:/bin/sh\nbad\ntoor:x:0:0::/:/bin/sh\nmysql:x:106:112::/:/bin/false\n');
  assert.deepEqual([...m], [[0, 'root'], [106, 'mysql']]);
});

for (const [raw, comm, want] of [
  ['/usr/sbin/mysqld\0--user=mysql\0', 'mysqld', '/usr/sbin/mysqld --user=mysql'],
  ['', 'kworker/0:1', '[kworker/0:1]'],
  ['nginx: worker process\0\0\0', 'nginx', 'nginx: worker process'],
] as const) {
  test(`formatCmdline(${JSON.stringify(raw)})`, () => assert.equal(formatCmdline(raw, comm), want));
}

test('formatCmdline redacts secret values argument by argument unless the view is full', () => {
  const raw = '/usr/bin/mysqldump\0-uroot\0-phunter2\0--password\0s3cret\0shop\0';
  assert.equal(formatCmdline(raw, 'mysqldump'), '/usr/bin/mysqldump -uroot -p*** --password *** shop');
  assert.equal(formatCmdline(raw, 'mysqldump', 'full'), '/usr/bin/mysqldump -uroot -phunter2 --password s3cret shop');
});

function rec(pid: number, ticks: number, rss: number, io: [number, number] | null, start = 1): ProcessRecord {
  return {
    stat: { pid, comm: `p${pid}`, state: 'S', utimeTicks: ticks, stimeTicks: 0, threads: 1, startTicks: start, rssPages: 0 },
    uid: 0,
    rssBytes: rss,
    io: io && { readBytes: io[0], writeBytes: io[1] },
  };
}
const scan = (at: number, recs: ProcessRecord[]): ProcessScan => ({ at, procs: new Map(recs.map((r) => [r.stat.pid, r])) });

const rankCases: {
  name: string;
  prev: ProcessRecord[];
  cur: ProcessRecord[];
  sort: 'cpu' | 'mem' | 'io';
  limit: number;
  want: [pid: number, cpu: number, rss: number, r: number | null, w: number | null][];
}[] = [
  {
    name: 'cpu: deltas over 2 s, 100 ticks = 1 s = 50%',
    prev: [rec(10, 1000, 1, [0, 0]), rec(11, 500, 2, [0, 0])],
    cur: [rec(10, 1100, 1, [0, 0]), rec(11, 900, 2, [0, 0])],
    sort: 'cpu', limit: 5,
    want: [[11, 200, 2, 0, 0], [10, 50, 1, 0, 0]],
  },
  {
    name: 'mem: by rss, limit applies, ties by pid',
    prev: [],
    cur: [rec(3, 0, 10, null), rec(2, 0, 10, null), rec(1, 0, 5, null)],
    sort: 'mem', limit: 2,
    want: [[2, 0, 10, null, null], [3, 0, 10, null, null]],
  },
  {
    name: 'io: read+write rate, unreadable io (null) last',
    prev: [rec(1, 0, 0, [0, 0]), rec(2, 0, 0, null), rec(3, 0, 0, [1000, 0])],
    cur: [rec(1, 0, 0, [2000, 2000]), rec(2, 0, 0, null), rec(3, 0, 0, [1000, 10000])],
    sort: 'io', limit: 3,
    want: [[3, 0, 0, 0, 5000], [1, 0, 0, 1000, 1000], [2, 0, 0, null, null]],
  },
  {
    name: 'new and reused pids count all their time since start; counters going back count 0',
    prev: [rec(5, 5000, 0, [0, 0], 1), rec(6, 300, 0, [900, 900])],
    cur: [rec(5, 40, 0, [200, 0], 99), rec(6, 200, 0, [100, 100]), rec(7, 20, 0, [0, 0])],
    sort: 'cpu', limit: 3,
    want: [[5, 20, 0, 100, 0], [7, 10, 0, 0, 0], [6, 0, 0, 0, 0]],
  },
];
for (const c of rankCases) {
  test(`rankProcesses: ${c.name}`, () => {
    const got = rankProcesses(scan(1000, c.prev), scan(3000, c.cur), c.sort, c.limit);
    assert.deepEqual(got.map((r) => [r.pid, r.cpu_pct, r.rss_bytes, r.read_bytes_per_s, r.write_bytes_per_s]), c.want);
  });
}

async function withFixtureCopy(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vigia-procs-'));
  try {
    await cp(join(FIXTURE, 'etc'), join(root, 'etc'), { recursive: true });
    for (const pid of ['77', '1234', '2345', '4242']) await cp(join(FIXTURE, 'proc', pid), join(root, 'proc', pid), { recursive: true });
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Adds `ticks` to utime and `bytes` to read_bytes of a fixture pid. */
async function bump(root: string, pid: string, ticks: number, bytes: number): Promise<void> {
  const statPath = join(root, 'proc', pid, 'stat');
  const text = await readFile(statPath, 'utf8');
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  f[11] = String(Number(f[11]) + ticks);
  await writeFile(statPath, `${text.slice(0, close + 2)}${f.join(' ')}`);
  const ioPath = join(root, 'proc', pid, 'io');
  const io = await readFile(ioPath, 'utf8');
  await writeFile(ioPath, io.replace(/^read_bytes: (\d+)/m, (_, n: string) => `read_bytes: ${Number(n) + bytes}`));
}

test('ProcessSampler.top on a fixture tree: two scans, users, commands, null io, vanished pid skipped', async () => {
  await withFixtureCopy(async (root) => {
    let now = 1_000_000;
    const sleeps: number[] = [];
    const sampler = new ProcessSampler({
      roots: { rootfs: root, procfs: join(root, 'proc'), sysfs: join(root, 'sys'), udevData: join(root, 'udev') },
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += 1000;
        await bump(root, '2345', 80, 0); // 0.8 s CPU in 1 s
        await bump(root, '1234', 30, 4_000_000);
        await rm(join(root, 'proc', '77'), { recursive: true }); // exits between the scans
      },
    });
    const top = await sampler.top({ sort: 'cpu', limit: 10 });
    assert.deepEqual(sleeps, [500]);
    assert.deepEqual(
      top.map((p) => [p.pid, p.user, p.command, p.cpu_pct, p.read_bytes_per_s, p.state, p.threads]),
      [
        [2345, 'vigia', 'python3 /opt/weird.py', 80, 0, 'R', 1],
        [1234, 'mysql', '/usr/sbin/mysqld --defaults-file=/etc/mysql/my.cnf', 30, 4_000_000, 'S', 48],
        [4242, 'root', '/usr/bin/backup-agent --run', 0, null, 'D', 4],
      ],
    );
    assert.equal(top[1]!.rss_bytes, 8_000_000 * 1024);
    assert.equal(top[0]!.comm, 'my) weird (proc');

    // 5 s later the last scan is the baseline: no second wait
    now += 5000;
    await bump(root, '1234', 500, 0);
    const again = await sampler.top({ sort: 'mem', limit: 1 });
    assert.deepEqual(sleeps, [500]);
    assert.deepEqual(again.map((p) => [p.pid, p.cpu_pct]), [[1234, 100]]);
  });
});

test('ProcessSampler.top: kernel thread gets [comm], unknown uid shows the number', async () => {
  await withFixtureCopy(async (root) => {
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0::/:/bin/sh\n');
    const sampler = new ProcessSampler({ roots: { rootfs: root, procfs: join(root, 'proc'), sysfs: '', udevData: '' }, sleep: async () => {} });
    const top = await sampler.top({ sort: 'mem', limit: 10 });
    const byPid = new Map(top.map((p) => [p.pid, p]));
    assert.equal(byPid.get(77)!.command, '[kworker/0:1-events]');
    assert.equal(byPid.get(77)!.rss_bytes, 0);
    assert.equal(byPid.get(1234)!.user, '106');
  });
});

test('ProcessSampler.top on the real /proc finds this process', async () => {
  const sampler = new ProcessSampler({ roots: { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' }, gapMs: 100 });
  const top = await sampler.top({ sort: 'mem', limit: 100000 });
  const me = top.find((p) => p.pid === process.pid);
  assert.ok(me, 'own pid listed');
  assert.ok(me.rss_bytes > 10 * 1024 * 1024);
  assert.match(me.command, /node/);
});

test('ProcessSampler.top: concurrent and rapid callers share scans instead of queueing their own', async () => {
  let now = 1_000_000;
  const sampler = new ProcessSampler({ roots: { rootfs: '/', procfs: '/proc', sysfs: '/sys', udevData: '/run/udev/data' }, clock: () => now, sleep: async () => { now += 500; } });
  let scans = 0;
  const scan = sampler.scan.bind(sampler);
  sampler.scan = async () => {
    scans++;
    return scan();
  };
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => sampler.top({ sort: i % 2 ? 'cpu' : 'mem', limit: 5 })));
  assert.equal(scans, 2, 'one pair of scans for 50 concurrent callers');
  assert.ok(answers.every((a) => a.length > 0));
  for (let i = 0; i < 20; i++) await sampler.top({ sort: 'io', limit: 3 });
  assert.equal(scans, 2, 'callers within 500 ms of the last answer reuse it');
  now += 2000;
  await sampler.top({ sort: 'cpu', limit: 3 });
  assert.equal(scans, 3, 'later, one new scan against the previous one');
});
