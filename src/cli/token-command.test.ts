import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { SCOPES, hashToken, parseTokenEntries } from '../core/auth.js';
import { isVigiaError } from '../core/errors.js';
import { register } from './token-command.js';

function newHelp(): string {
  const program = new Command('vigia');
  register(program);
  const token = program.commands.find((c) => c.name() === 'token')!;
  return token.commands.find((c) => c.name() === 'new')!.helpInformation();
}

test('vigia token new --help names every scope a token file accepts, and what ingest allows', () => {
  const help = newHelp().replace(/\s+/g, ' ');
  for (const scope of SCOPES) assert.match(help, new RegExp(`\\b${scope}\\b`), scope);
  assert.match(help, /ingest \(control plane: POST \/v2\/reports for any enrolled host/);
  assert.match(help, /implies nothing else/);
});

async function runTokenNew(args: string[]): Promise<string> {
  const program = new Command('vigia').exitOverride();
  const out: string[] = [];
  register(program, { write: (s: string) => out.push(s) });
  await program.parseAsync(['token', 'new', ...args], { from: 'user' });
  return out.join('');
}

test('vigia token new --token-out --append-to writes the token (0600) and appends its hash line, creating the folder; the token is not printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigia-token-'));
  try {
    const tokenOut = join(dir, '.vigia', 'ops.token');
    const tokens = join(dir, '.vigia', 'server.tokens');
    const printed = await runTokenNew(['--name', 'ops', '--scopes', 'read,admin', '--token-out', tokenOut, '--append-to', tokens]);
    const token = readFileSync(tokenOut, 'utf8').trim();
    assert.match(token, /^\S{20,}$/);
    assert.equal(statSync(tokenOut).mode & 0o777, 0o600);
    assert.equal(statSync(tokens).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, '.vigia')).mode & 0o077, 0);
    assert.ok(!printed.includes(token), 'the token itself stays out of the terminal');
    await runTokenNew(['--name', 'grafana', '--scopes', 'read', '--token-out', join(dir, '.vigia', 'grafana.token'), '--append-to', tokens]);
    const entries = parseTokenEntries(readFileSync(tokens, 'utf8'));
    assert.deepEqual(entries.map((e) => e.name), ['ops', 'grafana']);
    assert.equal(entries[0]!.hash.toString('hex'), hashToken(token).slice('sha256:'.length));
    assert.deepEqual([...entries[0]!.scopes], ['read', 'admin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vigia token new refuses a duplicate --name and an existing --token-out, and changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigia-token-'));
  try {
    const tokens = join(dir, 'server.tokens');
    await runTokenNew(['--name', 'ops', '--scopes', 'read,admin', '--token-out', join(dir, 'ops.token'), '--append-to', tokens]);
    const before = readFileSync(tokens, 'utf8');
    await assert.rejects(
      runTokenNew(['--name', 'ops', '--token-out', join(dir, 'ops2.token'), '--append-to', tokens]),
      (err: unknown) => isVigiaError(err, 'VIGIA_ERR_CONFIG') && /--append-to.*name "ops"/.test(err.message),
    );
    assert.equal(existsSync(join(dir, 'ops2.token')), false, 'no orphan token file');
    await assert.rejects(
      runTokenNew(['--name', 'other', '--token-out', join(dir, 'ops.token'), '--append-to', tokens]),
      (err: unknown) => isVigiaError(err, 'VIGIA_ERR_CONFIG') && /--token-out .*exists/.test(err.message),
    );
    assert.equal(readFileSync(tokens, 'utf8'), before, 'the token file is unchanged');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
