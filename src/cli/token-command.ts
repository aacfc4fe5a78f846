/** `vigia token new`: print a fresh bearer token and the hash line to put in a token file. */
import type { Command } from 'commander';
import { hashToken, newToken } from '../core/auth.js';

/** Attach `vigia token` to the program. */
export function register(program: Command): void {
  const token = program.command('token').description('create bearer tokens and their hashes for token files');
  token
    .command('new')
    .description('print a new random token (give it to the client) and its hash line (put it in --auth-token-file)')
    .action(() => {
      const t = newToken();
      process.stdout.write(`token: ${t}\nhash:  ${hashToken(t)}\n`);
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
