/**
 * Config errors name what the user typed, for every role: each role's command is registered as
 * main.ts does and run in-process with one bad value; the VIGIA_ERR_CONFIG it throws before starting
 * anything must be one line naming the flag (or the environment variable the value came from), never
 * a schema key such as `retentionDays` or `shutdownTimeoutMs`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { isVigiaError } from '../core/errors.js';
import { SUBCOMMANDS } from './commands.js';

/** `vigia ARGS` up to its config parse; the message of the VIGIA_ERR_CONFIG it throws. */
async function configError(args: string[], env: Record<string, string> = {}): Promise<string> {
  const program = new Command('vigia').exitOverride().enablePositionalOptions();
  for (const s of SUBCOMMANDS.filter((e) => e.name === args[0])) (await s.load()).register(program);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    await program.parseAsync(['node', 'vigia', ...args]);
  } catch (err) {
    if (isVigiaError(err, 'VIGIA_ERR_CONFIG')) return err.message.replace(/^invalid configuration: /, '');
    throw err;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  throw new Error(`vigia ${args.join(' ')} did not fail`);
}

/** Schema keys that must never reach the user (they are not what anyone typed). */
const SCHEMA_KEYS = /\b(retentionDays|shutdownTimeoutMs|requestTimeoutMs|statfsTimeoutMs|sampleIntervalMs|pullIntervalSeconds|ingestBatch|ingestMaxQueued|maxConnectionsPerAddress|authTokenFile|rateLimit|hostRateLimit|unknownTokenRateLimit|trustedProxies|logLevel|store\.dataDir|store\.database|tls\.(cert|key)|roots\.|report\.|mysql\.|undefined)\b/;

const TOKENS = ['--auth-token-file', '/nonexistent/tokens'];

const CASES: ReadonlyArray<{ readonly args: string[]; readonly env?: Record<string, string>; readonly expected: RegExp }> = [
  // vigia server (control): numbers, listen addresses, rates, URLs, levels, env variables.
  { args: ['server', '--retention-days', 'x'], expected: /^--retention-days: expected a number, got "x"$/ },
  { args: ['server', '--retention-days', '1'], expected: /^--retention-days: must be at least 2, got "1"$/ },
  { args: ['server', '--listen', 'nope'], expected: /^--listen: "nope" is not host:port/ },
  { args: ['server', '--rate-limit', 'fast'], expected: /^--rate-limit: "fast" is not <requests per second>\[\/<burst>\]$/ },
  { args: ['server', '--trusted-proxy', '10.0.0.0/8', '--trusted-proxy', 'lb.example'], expected: /^--trusted-proxy: "lb\.example" is not an address or CIDR block \(e\.g\. 10\.0\.1\.0\/24, 2001:db8::\/64\)$/ },
  { args: ['server', '--database', 'mysql://h/db'], expected: /^--database: must be a postgres:\/\/ URL$/ },
  { args: ['server', '--log-level', 'loud'], expected: /^--log-level: must be one of fatal, .*, got "loud"$/ },
  { args: ['server', '--shutdown-timeout', '5'], expected: /^--shutdown-timeout: must be at least 100, got "5"$/ },
  { args: ['server', '--pull-interval', '1'], expected: /^--pull-interval: must be at least 5, got "1"$/ },
  { args: ['server', '--logs-server', 'ftp://logs.example'], expected: /^--logs-server: must be an http\(s\):\/\/ URL without credentials, query or fragment/ },
  { args: ['server', '--logs-server', 'http://127.0.0.1:9'], expected: /^--logs-token-file: give --logs-server URL and --logs-token-file FILE together/ },
  { args: ['server', '--slo-spec', 'slos', '--slo-period', 'last year'], expected: /^--slo-period: a year \(2025\), quarter/ },
  { args: ['server', '--tls-cert', '/c'], expected: /^--tls-key: must not be empty$/ },
  { args: ['server'], env: { VIGIA_SERVER_LISTEN: 'nope' }, expected: /^VIGIA_SERVER_LISTEN: "nope" is not host:port/ },
  { args: ['server', 'hosts', '--database', 'mysql://h/db'], expected: /^--database: must be a postgres:\/\/ URL$/ },
  // vigia agent: paths, repeatable flags, report flags, numbers, env variables.
  { args: ['agent', ...TOKENS, '--statfs-timeout', 'soon'], expected: /^--statfs-timeout: expected a number, got "soon"$/ },
  { args: ['agent', ...TOKENS, '--path.procfs', 'proc'], expected: /^--path\.procfs must be an absolute path$/ },
  { args: ['agent', ...TOKENS, '--role', 'data=/a', '--role', 'logs=/b'], expected: /^--role: "logs=\/b" is not <data\|binlog\|other>=<absolute path>$/ },
  { args: ['agent', ...TOKENS, '--mysql-user', ''], expected: /^--mysql-user: must not be empty$/ },
  { args: ['agent', ...TOKENS, '--actions-user', 'Root'], expected: /^--actions-user: a user name$/ },
  { args: ['agent', ...TOKENS, '--request-timeout', '150.5'], expected: /^--request-timeout: must be a whole number, got "150\.5"$/ },
  { args: ['agent', ...TOKENS, '--report-to', 'http://c', '--report-token-file', '/t', '--report-interval', '5'], expected: /^--report-interval must be 10\.\.3600 seconds$/ },
  { args: ['agent', ...TOKENS, '--report-to', 'http://c', '--report-token-file', '/t', '--spool-max-bytes', 'lots'], expected: /^--spool-max-bytes must be a number of bytes$/ },
  { args: ['agent', '--listen', 'nope', ...TOKENS], expected: /^--listen: "nope" is not host:port/ },
  { args: ['agent', ...TOKENS], env: { VIGIA_AGENT_LISTEN: 'nope' }, expected: /^VIGIA_AGENT_LISTEN: "nope" is not host:port/ },
  { args: ['agent'], expected: /^--auth-token-file: the agent always needs --auth-token-file/ },
  // vigia turno (and turno check).
  { args: ['turno', '--listen', 'nope'], expected: /^--listen: "nope" is not host:port \(e\.g\. [^;]*\)$/ },
  { args: ['turno', '--workers', 'many'], expected: /^--workers: expected a number, got "many"$/ },
  { args: ['turno', 'check', '--clients', '0'], expected: /^--clients: must be at least 1$/ },
  // vigia slo: periods, durations, zones, labels, seeds.
  { args: ['slo', 'report', '--spec', '/nonexistent', '--period', 'nope'], expected: /^--period: "nope" is not a year/ },
  { args: ['slo', 'report', '--spec', '/nonexistent', '--last', '5x'], expected: /^--last: "5x" is not a duration/ },
  { args: ['slo', 'report', '--spec', '/nonexistent', '--period', '2025', '--tz', 'Mars/Olympus'], expected: /^--tz: unknown time zone "Mars\/Olympus"/ },
  { args: ['slo', 'rules', '--spec', '/nonexistent', '--period', '7x'], expected: /^--period: "7x" is not a duration/ },
  { args: ['slo', 'rules', '--spec', '/nonexistent', '--extra-label', 'team'], expected: /^--extra-label "team": expected name=value$/ },
  { args: ['slo', 'demo', '--seed', '-1'], expected: /^--seed: "-1" is not a non-negative integer$/ },
  // Client commands: URLs and numbers.
  { args: ['report', 'capacity', '--server', 'ftp://h', '--token-file', '/t'], expected: /^--server must be an http\(s\):\/\/ URL without credentials, query or fragment, got "ftp:\/\/h"$/ },
  { args: ['simulate', '--to', 'http://h', '--admin-token-file', '/t', '--hosts', 'x'], expected: /^--hosts: expected an integer, got "x"$/ },
];

test('a bad value of each kind of flag, for every role, is one line naming the flag typed', async () => {
  for (const { args, env, expected } of CASES) {
    const message = await configError(args, env);
    const what = `vigia ${args.join(' ')} ${env ? JSON.stringify(env) : ''}: ${message}`;
    assert.match(message, expected, what);
    assert.doesNotMatch(message, /\n/, what);
    assert.doesNotMatch(message, SCHEMA_KEYS, what);
  }
});
