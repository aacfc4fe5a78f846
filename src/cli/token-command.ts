/** `vigia token new`: print a fresh bearer token and the hash line to put in a token file. */
import { Option, type Command } from 'commander';
import { hashToken, newToken, parseTokenEntries } from '../core/auth.js';

/** Attach `vigia token` to the program. */
export function register(program: Command): void {
  const token = program.command('token').description('create bearer tokens and their hashes for token files');
  token
    .command('new')
    .description('print a new random token (give it to the client) and its hash line (put it in --auth-token-file)')
    .addOption(
      new Option(
        '--scopes <list>',
        'what the token may do: read; read,actions (agent actions); read,admin (control plane: enrol hosts, publish bundles, steer rollouts); read,run (fleet runs); cmdline (agent: whole command lines in /v1/processes, which others see with secrets redacted; implies read); ingest (control plane: POST /v2/reports for any enrolled host, a relay such as vigia simulate; implies nothing else, not even read)',
      ),
    )
    .addOption(new Option('--name <label>', 'name shown in logs and audit lines'))
    .action((opts: { scopes?: string; name?: string }) => {
      const t = newToken();
      const line = [hashToken(t), opts.scopes ? `scopes=${opts.scopes}` : '', opts.name ? `name=${opts.name}` : ''].filter(Boolean).join(' ');
      parseTokenEntries(line); // reject a bad scope or name now, not when a server reads the file
      process.stdout.write(`token: ${t}\nhash:  ${line}\n`);
    });
  token
    .command('hash')
    .description('read a token on stdin and print its hash line')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      process.stdout.write(`${hashToken(Buffer.concat(chunks).toString('utf8').trim())}\n`);
    });
}
