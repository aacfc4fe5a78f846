import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { isVigiaError } from '../core/errors.js';
import { register } from './command.js';

const ADMIN = 'adm-token';

/** A control plane's enrolment as far as the CLI can tell; `first429`: the first request gets 429 + Retry-After. */
async function fakeServer(o: { bulk?: boolean; first429?: boolean; status?: number } = {}) {
  const requests: { hosts: number | null; status: number }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const b = JSON.parse(body) as { host?: string; hosts?: { host: string; tags?: Record<string, string> }[] };
      const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        requests.push({ hosts: b.hosts ? b.hosts.length : null, status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
      };
      if (req.url !== '/v1/hosts/enroll' || req.headers.authorization !== `Bearer ${ADMIN}`) return reply(401, { error: { code: 'VIGIA_ERR_UNAUTHORIZED', message: 'unknown token' } });
      if (o.status) return reply(o.status, { error: { code: 'VIGIA_ERR_FORBIDDEN', message: 'token lacks admin' } });
      if (o.first429 && requests.length === 0) return reply(429, { error: { code: 'VIGIA_ERR_RATE_LIMITED', message: 'slow' } }, { 'retry-after': '1' });
      if (b.hosts) {
        if (o.bulk === false) return reply(400, { error: { code: 'VIGIA_ERR_BAD_REQUEST', message: 'host: Required' } });
        return reply(200, { hosts: b.hosts.map((h) => ({ host: h.host, token: `tok-${h.host}`, created: true })) });
      }
      return reply(200, { host: b.host, token: `tok-${b.host}`, created: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Run `vigia server ...args`, capturing what it writes to stdout and stderr. */
async function run(args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  // As cli/main.ts builds it: options after a subcommand belong to it.
  const program = new Command('vigia').exitOverride().enablePositionalOptions();
  register(program);
  const out: string[] = [];
  const err: string[] = [];
  const w = process.stdout.write;
  const e = process.stderr.write;
  // The test runner talks to its parent over stdout with Buffers: let those through, keep our strings.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => (typeof chunk === 'string' ? (out.push(chunk), true) : (w as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'vigia', 'server', ...args]);
    return { stdout: out.join(''), stderr: err.join('') };
  } catch (error) {
    return { stdout: out.join(''), stderr: err.join(''), error };
  } finally {
    process.stdout.write = w;
    process.stderr.write = e;
  }
}

function scratch(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vigia-enroll-'));
  writeFileSync(join(dir, 'ops.token'), `${ADMIN}\n`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

test('--from through a server: bulk requests, a 429 waited out, each token in DIR/<host>.token (0600, DIR 0700), none on stdout', async () => {
  const srv = await fakeServer({ first429: true });
  const s = scratch();
  try {
    const hosts = Array.from({ length: 1500 }, (_, i) => `db-${String(i).padStart(4, '0')} dc=mad1`);
    writeFileSync(join(s.dir, 'hosts.txt'), `# fleet\n${hosts.join('\n')}\n`);
    const tokens = join(s.dir, 'tokens');
    const r = await run(['enroll', '--from', join(s.dir, 'hosts.txt'), '--write-token-dir', tokens, '--server', srv.url, '--token-file', join(s.dir, 'ops.token')]);
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.stdout, '', 'no token on stdout');
    assert.match(r.stderr, /enrolled or rotated 1500 hosts; tokens written to .*tokens\/<host>\.token/);
    assert.deepEqual(srv.requests, [{ hosts: 1000, status: 429 }, { hosts: 1000, status: 200 }, { hosts: 500, status: 200 }]);
    assert.equal(statSync(tokens).mode & 0o777, 0o700);
    const files = readdirSync(tokens);
    assert.equal(files.length, 1500);
    assert.equal(readFileSync(join(tokens, 'db-0042.token'), 'utf8'), 'tok-db-0042\n');
    assert.equal(statSync(join(tokens, 'db-0042.token')).mode & 0o777, 0o600);
  } finally {
    await srv.close();
    s.remove();
  }
});

test('--from through an older server (400 for the bulk form): one host per request; without --write-token-dir tokens are printed as HOST TOKEN', async () => {
  const srv = await fakeServer({ bulk: false });
  const s = scratch();
  try {
    writeFileSync(join(s.dir, 'hosts.txt'), 'a dc=x\nb\n');
    const r = await run(['enroll', '--from', join(s.dir, 'hosts.txt'), '--server', srv.url, '--token-file', join(s.dir, 'ops.token')]);
    assert.equal(r.error, undefined, String(r.error));
    assert.deepEqual(r.stdout.split('\n').filter(Boolean).sort(), ['a tok-a', 'b tok-b']);
    assert.deepEqual(srv.requests.map((q) => q.hosts), [2, null, null]);
  } finally {
    await srv.close();
    s.remove();
  }
});

test('a bad file, a bad token dir or clashing flags enrol nobody and say why in one line', async () => {
  const srv = await fakeServer();
  const s = scratch();
  try {
    writeFileSync(join(s.dir, 'bad.txt'), 'db-1 dc=mad1\ndb-2 dc=mad1 oops\n');
    writeFileSync(join(s.dir, 'ok.txt'), 'db-1\n');
    const open = join(s.dir, 'open');
    mkdirSync(open, { mode: 0o755 });
    const common = ['--server', srv.url, '--token-file', join(s.dir, 'ops.token')];
    const cases: [string[], RegExp][] = [
      [['enroll', '--from', join(s.dir, 'bad.txt'), ...common], /bad\.txt line 2: tag "oops" is not KEY=VALUE/],
      [['enroll', '--from', join(s.dir, 'missing.txt'), ...common], /--from .*missing\.txt: cannot read it \(ENOENT\)/],
      [['enroll', '--from', join(s.dir, 'ok.txt'), '--write-token-dir', open, ...common], /--write-token-dir .*open: group or others may read it \(mode 755\)/],
      [['enroll', '--from', join(s.dir, 'ok.txt'), '--write-token-dir', join(s.dir, 'ok.txt'), ...common], /--write-token-dir .*: cannot create it|not a directory/],
      [['enroll', '--from', join(s.dir, 'ok.txt'), '--host', 'x', ...common], /not both/],
      [['enroll', '--from', join(s.dir, 'ok.txt'), '--tag', 'a=b', ...common], /--tag: with --from, tags go on each line/],
      [['enroll', '--from', join(s.dir, 'ok.txt'), '--write-token-file', 'x', ...common], /use --write-token-dir/],
      [['enroll', '--host', 'x', '--write-token-dir', 'd', ...common], /--write-token-dir: only with --from/],
      [['enroll', ...common], /--host: required \(or --from FILE/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      assert.ok(isVigiaError(r.error, 'VIGIA_ERR_CONFIG') && re.test((r.error as Error).message), `${args.join(' ')}: ${String(r.error)}`);
    }
    assert.deepEqual(srv.requests, [], 'nothing was sent');
  } finally {
    await srv.close();
    s.remove();
  }
});

test('a server refusing the enrolment: its code, one line, no token anywhere', async () => {
  const srv = await fakeServer({ status: 403 });
  const s = scratch();
  try {
    writeFileSync(join(s.dir, 'hosts.txt'), 'a\nb\n');
    const r = await run(['enroll', '--from', join(s.dir, 'hosts.txt'), '--write-token-dir', join(s.dir, 't'), '--server', srv.url, '--token-file', join(s.dir, 'ops.token')]);
    assert.ok(isVigiaError(r.error, 'VIGIA_ERR_FORBIDDEN'), String(r.error));
    assert.match((r.error as Error).message, /the server answered 403: token lacks admin \(2 of 2 hosts not enrolled\)/);
    assert.deepEqual(readdirSync(join(s.dir, 't')), []);
    assert.equal(r.stdout, '');
  } finally {
    await srv.close();
    s.remove();
  }
});

test('--from straight into the embedded store: created, then rotated keeping tags where a line has none', async () => {
  const s = scratch();
  try {
    const data = join(s.dir, 'data');
    writeFileSync(join(s.dir, 'hosts.txt'), 'db-1 dc=mad1\ndb-2 dc=bcn1\n');
    const first = await run(['enroll', '--from', join(s.dir, 'hosts.txt'), '--write-token-dir', join(s.dir, 't'), '--data-dir', data]);
    assert.equal(first.error, undefined, String(first.error));
    assert.match(first.stderr, /enrolled 2 hosts, rotated the token of 0/);
    const t1 = readFileSync(join(s.dir, 't', 'db-1.token'), 'utf8');
    writeFileSync(join(s.dir, 'again.txt'), 'db-1\n');
    const second = await run(['enroll', '--from', join(s.dir, 'again.txt'), '--write-token-dir', join(s.dir, 't'), '--data-dir', data]);
    assert.match(second.stderr, /enrolled 0 hosts, rotated the token of 1/);
    assert.notEqual(readFileSync(join(s.dir, 't', 'db-1.token'), 'utf8'), t1, 'a new token');
    const hosts = await run(['hosts', '--json', '--data-dir', data]);
    const list = (JSON.parse(hosts.stdout) as { hosts: { name?: string; host?: string; tags: Record<string, string> }[] }).hosts;
    assert.deepEqual(list.map((h) => [h.name ?? h.host, h.tags]).sort(), [['db-1', { dc: 'mad1' }], ['db-2', { dc: 'bcn1' }]]);
  } finally {
    s.remove();
  }
});

test('server hosts: a table for people by default (tags, reported tags, last seen, status), --json for scripts; counts say "1 host"', async () => {
  const s = scratch();
  try {
    const data = join(s.dir, 'data');
    writeFileSync(join(s.dir, 'one.txt'), 'db-1 dc=mad1,role=mysql\n');
    const enrolled = await run(['enroll', '--from', join(s.dir, 'one.txt'), '--write-token-dir', join(s.dir, 't'), '--data-dir', data]);
    assert.equal(enrolled.error, undefined, String(enrolled.error));
    assert.match(enrolled.stderr, /enrolled 1 host, rotated the token of 0/);
    const table = await run(['hosts', '--data-dir', data]);
    assert.equal(table.error, undefined, String(table.error));
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^HOST +TAGS +REPORTED TAGS +LAST SEEN +STATUS$/);
    assert.match(lines[1]!, /^db-1 +dc=mad1,role=mysql +- +never +never$/);
    assert.equal(lines.length, 2);
    const json = await run(['hosts', '--json', '--data-dir', data]);
    assert.equal((JSON.parse(json.stdout) as { hosts: { host: string }[] }).hosts[0]!.host, 'db-1');
  } finally {
    s.remove();
  }
});
