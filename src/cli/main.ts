#!/usr/bin/env node
/**
 * `vigia` entry point: argv -> subcommand. Subcommands set process.exitCode for a verdict, or throw a
 * VigiaError, which is printed here as one line `vigia: code: message` with exit status 2. Besides
 * this file, only the servers' signal handlers (turno/run.ts, agent/run.ts, control/run.ts) and
 * `vigia run`'s second Ctrl-C call process.exit: they must leave at once.
 */
import { Command, CommanderError } from 'commander';
import { oneLine, transportError } from '../core/client-errors.js';
import { isVigiaError } from '../core/errors.js';
import { redactUrlsIn } from '../core/redact.js';
import { SUBCOMMANDS } from './commands.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('vigia')
    .description('Vigía — SRE platform for large fleets')
    .version('0.1.0')
    .exitOverride()
    // Options after a subcommand belong to it (`vigia server hosts --data-dir X` is the hosts command's).
    .enablePositionalOptions()
    // A usage error (unknown option, bad choice, missing argument) is a configuration error like any
    // other: one catalogued line. Subcommands inherit this output setting.
    .configureOutput({ outputError: (text, write) => write(`vigia: VIGIA_ERR_CONFIG: invalid configuration: ${text.trim().replace(/^error: /, '')} (see --help)\n`) });
  const wanted = argv[2];
  const entries = SUBCOMMANDS.filter((s) => s.name === wanted);
  if (entries.length === 0) {
    for (const s of SUBCOMMANDS) program.command(s.name).description(s.summary);
  }
  for (const entry of entries) (await entry.load()).register(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // Help and --version exit 0; a usage error (unknown option, missing argument) is status 2, as
    // every other error the user can fix by changing what they typed.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  // Commands report their outcome through process.exitCode (a verdict, not an abrupt exit).
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

/**
 * The one line printed for an error that reached the edge, and the exit status. A transport failure
 * that a client forgot to map is still shown as VIGIA_ERR_UNREACHABLE (the class, not each caller);
 * anything else uncatalogued is a bug: one line too, the stack only with VIGIA_DEBUG=1.
 */
function describe(err: unknown, debug: boolean): { line: string; status: number } {
  const mapped = transportError(err, 'the server');
  // URLs in the line lose passwords and query values: it is printed, and pasted into tickets.
  if (isVigiaError(mapped)) return { line: `vigia: ${mapped.code}: ${oneLine(redactUrlsIn(mapped.message))}\n`, status: 2 };
  const message = redactUrlsIn(err instanceof Error ? err.message : String(err));
  const stack = debug && err instanceof Error && err.stack ? `\n${redactUrlsIn(err.stack)}` : ' (VIGIA_DEBUG=1 shows the stack trace)';
  return { line: `vigia: VIGIA_ERR_INTERNAL: unexpected error: ${oneLine(message)}${stack}\n`, status: 1 };
}

// `vigia ... | head`: the reader went away; that is the end of the output, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const { line, status } = describe(err, process.env.VIGIA_DEBUG === '1');
    process.stderr.write(line);
    process.exit(status);
  },
);
