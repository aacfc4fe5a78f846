#!/usr/bin/env node
/**
 * `vigia` entry point: argv -> subcommand. The only place that calls process.exit; subcommands set
 * process.exitCode for a verdict, or throw a VigiaError, which is printed as `code: message`.
 */
import { Command, CommanderError } from 'commander';
import { isVigiaError } from '../core/errors.js';
import { SUBCOMMANDS } from './commands.js';

async function main(argv: string[]): Promise<number> {
  const program = new Command('vigia')
    .description('Vigía — SRE platform for large fleets')
    .version('0.1.0')
    .exitOverride()
    // Options after a subcommand belong to it (`vigia server hosts --data-dir X` is the hosts command's).
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)');
  const wanted = argv[2];
  const entries = SUBCOMMANDS.filter((s) => s.name === wanted);
  if (entries.length === 0) {
    for (const s of SUBCOMMANDS) program.command(s.name).description(s.summary);
  }
  for (const entry of entries) (await entry.load()).register(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  // Commands report their outcome through process.exitCode (a verdict, not an abrupt exit).
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
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
    if (isVigiaError(err)) {
      process.stderr.write(`vigia: ${err.code}: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`vigia: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
