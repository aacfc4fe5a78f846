import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { Command, Option } from 'commander';
import { listenField, optionNames, parseConfig, parseListen } from './config.js';
import { isVigiaError } from './errors.js';

test('parseListen accepts the documented forms', () => {
  const cases: [string, { host: string; port: number } | undefined][] = [
    ['7017', { host: '127.0.0.1', port: 7017 }],
    [':7017', { host: '127.0.0.1', port: 7017 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['host:70000', undefined],
    ['host:', undefined],
    ['a b:1', undefined],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseListen(input), expected, input);
});

test('parseConfig names the bad field path and freezes the result', () => {
  const schema = z.object({ a: z.object({ b: z.number() }) }).strict();
  assert.throws(() => parseConfig(schema, { a: { b: 'x' } }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /a\.b/.test(e.message));
  assert.throws(() => parseConfig(schema, { a: { b: 1 }, c: 2 }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /c/.test(e.message));
  const ok = parseConfig(schema, { a: { b: 1 } });
  assert.ok(Object.isFrozen(ok) && Object.isFrozen(ok.a));
});

/** The message of the VIGIA_ERR_CONFIG that `fn` throws. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isVigiaError(err, 'VIGIA_ERR_CONFIG')) return err.message.replace(/^invalid configuration: /, '');
    throw err;
  }
  throw new Error('no error');
}

test('parseConfig names issues by what the user wrote, with the value given', () => {
  const schema = z
    .object({
      retentionDays: z.coerce.number().int().min(2),
      tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
      level: z.enum(['a', 'b']),
      interval: z.coerce.number({ invalid_type_error: '--interval must be seconds' }),
    })
    .strict();
  const names = { retentionDays: '--retention-days', 'tls.cert': '--tls-cert', level: 'VIGIA_LEVEL', interval: '--interval' };
  const ok = { retentionDays: '90', level: 'a', interval: '1' };
  assert.equal(configError(() => parseConfig(schema, { ...ok, retentionDays: 'x' }, names)), '--retention-days: expected a number, got "x"');
  assert.equal(configError(() => parseConfig(schema, { ...ok, retentionDays: '1' }, names)), '--retention-days: must be at least 2, got "1"');
  assert.equal(configError(() => parseConfig(schema, { ...ok, retentionDays: '2.5' }, names)), '--retention-days: must be a whole number, got "2.5"');
  assert.equal(configError(() => parseConfig(schema, { ...ok, tls: { cert: '', key: '' } }, names)), '--tls-cert: must not be empty; tls.key: must not be empty');
  assert.equal(configError(() => parseConfig(schema, { ...ok, level: 'c' }, names)), 'VIGIA_LEVEL: must be one of a, b, got "c"');
  // A message written for the flag is not prefixed with it again.
  assert.equal(configError(() => parseConfig(schema, { ...ok, interval: 'x' }, names)), '--interval must be seconds');
  // Without names, the schema path (as before): config-file documents are named by their own keys.
  assert.equal(configError(() => parseConfig(schema, { ...ok, retentionDays: 'x' })), 'retentionDays: expected a number, got "x"');
});

test('optionNames: the flag, or the environment variable when the value came from there; renames map schema paths', async () => {
  const cmd = new Command('x')
    .exitOverride()
    .addOption(new Option('--listen <a>').env('X_LISTEN'))
    .addOption(new Option('--shutdown-timeout <ms>').default('1'))
    .addOption(new Option('--path.rootfs <p>'))
    .addOption(new Option('--no-fleet'))
    .action(() => {});
  process.env.X_LISTEN = 'nope';
  try {
    await cmd.parseAsync(['node', 'x', '--path.rootfs', '/r']);
  } finally {
    delete process.env.X_LISTEN;
  }
  const names = optionNames(cmd, { shutdownTimeoutMs: 'shutdownTimeout', 'roots.rootfs': 'path.rootfs', missing: 'nothing' });
  assert.deepEqual(
    { ...names },
    { listen: 'X_LISTEN', shutdownTimeout: '--shutdown-timeout', shutdownTimeoutMs: '--shutdown-timeout', 'path.rootfs': '--path.rootfs', 'roots.rootfs': '--path.rootfs', fleet: '--no-fleet' },
  );
});

test('a listen address that does not parse stops refinements that would read it ("listening on undefined")', () => {
  const schema = z
    .object({ listen: listenField, token: z.string().optional() })
    .superRefine((c, ctx) => {
      if (!c.token) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['token'], message: `listening on ${c.listen.host} needs a token` });
    });
  const message = configError(() => parseConfig(schema, { listen: 'nope' }, { listen: '--listen' }));
  assert.match(message, /^--listen: "nope" is not host:port/);
  assert.doesNotMatch(message, /undefined/);
});
