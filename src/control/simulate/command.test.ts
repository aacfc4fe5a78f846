import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { isVigiaError } from '../../core/errors.js';
import { parseSimulateFlags, register } from './command.js';

const base = { to: 'http://127.0.0.1:8080', adminTokenFile: '/tmp/x', hosts: '10', interval: '60', rate: 'nominal', concurrency: '64', seed: '1', backfillDays: '0', backfillStep: '3600', dying: '0.001' };

test('flags parse into simulation options', () => {
  const f = parseSimulateFlags({ ...base, rounds: '3' });
  assert.equal(f.url, 'http://127.0.0.1:8080/');
  assert.equal(f.hosts, 10);
  assert.equal(f.rounds, 3);
  assert.equal(f.durationSeconds, undefined);
  assert.equal(f.dyingFraction, 0.001);
  assert.equal(f.protocol, 'v1');
  const v2 = parseSimulateFlags({ ...base, rounds: '3', protocol: 'v2', ingestTokenFile: '/tmp/i', batch: '200' });
  assert.deepEqual([v2.protocol, v2.ingestTokenFile, v2.batchSize], ['v2', '/tmp/i', 200]);
  assert.equal(f.dyingWindowSeconds, undefined);
  assert.equal(parseSimulateFlags({ ...base, rounds: '3', dyingWindow: '1' }).dyingWindowSeconds, 1);
});

test('bad flags fail with VIGIA_ERR_CONFIG naming the flag', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ to: 'ftp://x' }, /--to: must be an http/],
    [{ to: 'file:///etc/passwd' }, /--to: must be an http/],
    [{ to: 'not a url' }, /--to: not a URL/],
    [{ to: undefined }, /--to: required/],
    [{ adminTokenFile: undefined }, /--admin-token-file: required/],
    [{ hosts: '0' }, /--hosts: must be from 1/],
    [{ hosts: '1e3' }, /--hosts: expected an integer/],
    [{ interval: '-1' }, /--interval: expected an integer/],
    [{ duration: '5', rounds: '2' }, /not both/],
    [{ dying: '2' }, /--dying: must be from 0 to 1/],
    [{ dyingWindow: '0' }, /--dying-window: must be from 0.001/],
    [{ rate: 'fast' }, /--rate: must be nominal or max/],
    [{ protocol: 'v3' }, /--protocol: must be v1 or v2/],
    [{ protocol: 'v2' }, /--ingest-token-file: required with --protocol v2/],
    [{ ingestTokenFile: '/tmp/i' }, /--ingest-token-file: only with --protocol v2/],
    [{ batch: '10' }, /--batch: only with --protocol v2/],
    [{ protocol: 'v2', ingestTokenFile: '/tmp/i', batch: '1001' }, /--batch: must be from 1 to 1000/],
  ];
  for (const [over, re] of cases) {
    assert.throws(() => parseSimulateFlags({ ...base, ...over }), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test((e as Error).message), JSON.stringify(over));
  }
});

test('register adds `simulate` with help text', () => {
  const program = new Command('vigia');
  register(program);
  const cmd = program.commands.find((c) => c.name() === 'simulate');
  assert.ok(cmd);
  const help = cmd.helpInformation();
  for (const flag of ['--to', '--admin-token-file', '--hosts', '--interval', '--duration', '--rounds', '--rate', '--concurrency', '--seed', '--backfill-days', '--backfill-step', '--dying', '--dying-window', '--protocol', '--ingest-token-file', '--batch']) assert.ok(help.includes(flag), flag);
});

test('`vigia simulate` runs against a server and prints a JSON summary on stdout, progress on stderr', async () => {
  const { createServer } = await import('node:http');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  let reports = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/healthz') return res.end('ok');
      if (req.url === '/v1/hosts/enroll') {
        const b = JSON.parse(body) as { host?: string; hosts?: { host: string }[] };
        return res.end(JSON.stringify(b.hosts ? { hosts: b.hosts.map((h) => ({ host: h.host, token: 't', created: true })) } : { host: b.host, token: 't', created: true }));
      }
      reports++;
      res.end(JSON.stringify({ outcome: 'stored' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'vigia-sim-'));
  const out: string[] = [];
  const write = process.stdout.write;
  try {
    writeFileSync(join(dir, 'admin.token'), 'adm\n');
    const port = (server.address() as { port: number }).port;
    const program = new Command('vigia').exitOverride();
    register(program);
    // The test runner talks to its parent over stdout with Buffers: let those through, keep our strings.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      typeof chunk === 'string' ? (out.push(chunk), true) : (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
    await program.parseAsync(['node', 'vigia', 'simulate', '--to', `http://127.0.0.1:${port}`, '--admin-token-file', join(dir, 'admin.token'), '--hosts', '4', '--interval', '1', '--rounds', '2', '--dying', '0']);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
    await new Promise<void>((r) => server.close(() => r()));
  }
  const summary = JSON.parse(out.join(''));
  assert.equal(summary.enrolled, 4);
  assert.equal(summary.live.stored, 8);
  assert.equal(reports, 8);
  assert.equal(process.exitCode ?? 0, 0);
});
