/** `vigia token new`: a fresh bearer token and the hash line for a token file, printed or written to files. */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import { hashToken, newToken, parseTokenEntries } from '../core/auth.js';
import { VigiaError, isVigiaError } from '../core/errors.js';

/**
 * Write `token` to `tokenOut` (new file, 0600) and/or append `line` to the token file `appendTo` (created 0600).
 * Everything is checked before anything is written, so a refusal (duplicate name or hash, bad line,
 * existing --token-out) leaves both files as they were; missing parent folders are created 0700.
 */
export async function writeTokenFiles(token: string, line: string, opts: { tokenOut?: string; appendTo?: string }): Promise<void> {
  let existing = '';
  if (opts.appendTo !== undefined) {
    existing = await readFile(opts.appendTo, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw new VigiaError('VIGIA_ERR_CONFIG', `--append-to ${opts.appendTo}: ${err.code ?? err.message}`);
    });
    const sep = existing === '' || existing.endsWith('\n') ? '' : '\n';
    try {
      parseTokenEntries(`${existing}${sep}${line}\n`);
    } catch (err) {
      if (isVigiaError(err, 'VIGIA_ERR_CONFIG')) throw new VigiaError('VIGIA_ERR_CONFIG', `--append-to ${opts.appendTo}: ${err.message.replace(/^invalid configuration: /, '')}`);
      throw err;
    }
    existing = sep;
  }
  if (opts.tokenOut !== undefined) {
    await mkdir(dirname(opts.tokenOut), { recursive: true, mode: 0o700 });
    // wx: never overwrite a token a client may already hold.
    await writeFile(opts.tokenOut, `${token}\n`, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      throw new VigiaError('VIGIA_ERR_CONFIG', err.code === 'EEXIST' ? `--token-out ${opts.tokenOut} exists; choose another file or remove it` : `--token-out ${opts.tokenOut}: ${err.code ?? err.message}`);
    });
  }
  if (opts.appendTo !== undefined) {
    await mkdir(dirname(opts.appendTo), { recursive: true, mode: 0o700 });
    await appendFile(opts.appendTo, `${existing}${line}\n`, { mode: 0o600 });
  }
}

/** Attach `vigia token` to the program; `out` receives what it prints (stdout unless a test passes its own). */
export function register(program: Command, out: { write(s: string): unknown } = process.stdout): void {
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
    .addOption(new Option('--name <label>', 'name shown in logs and audit lines; must be new in --append-to'))
    .addOption(new Option('--token-out <file>', 'write the token to this new file (mode 0600) instead of printing it'))
    .addOption(new Option('--append-to <file>', 'append the hash line to this token file (created with mode 0600); refuses a name already in it'))
    .action(async (opts: { scopes?: string; name?: string; tokenOut?: string; appendTo?: string }) => {
      const t = newToken();
      const line = [hashToken(t), opts.scopes ? `scopes=${opts.scopes}` : '', opts.name ? `name=${opts.name}` : ''].filter(Boolean).join(' ');
      parseTokenEntries(line); // reject a bad scope or name now, not when a server reads the file
      await writeTokenFiles(t, line, opts);
      const tokenPart = opts.tokenOut !== undefined ? `token: written to ${opts.tokenOut}` : `token: ${t}`;
      const hashPart = opts.appendTo !== undefined ? `hash:  ${line} (appended to ${opts.appendTo})` : `hash:  ${line}`;
      out.write(`${tokenPart}\n${hashPart}\n`);
    });
  token
    .command('hash')
    .description('read a token on stdin and print its hash line')
    .action(async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      out.write(`${hashToken(Buffer.concat(chunks).toString('utf8').trim())}\n`);
    });
}
