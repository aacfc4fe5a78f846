/** Flag parsing and progress lines shared by the benchmark scripts (stdout is kept for the table). */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The integer value of flag `--name` given as `text`, or `def` when the flag is absent. A value that
 * is not an integer in [min, max] (min defaults to 1) is a usage error: it writes
 * `bench: --name must be an integer from MIN to MAX, got "TEXT"` to stderr and exits with status 2.
 */
export function intFlag(name: string, text: string | undefined, def: number, max: number, min = 1): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench: --${name} must be an integer from ${min} to ${max}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

/** Flags every benchmark script takes. */
const COMMON_OPTIONS = {
  rounds: { type: 'string' },
  duration: { type: 'string' },
  connections: { type: 'string' },
  quick: { type: 'boolean', default: false },
  strict: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** What a script tells `parseBenchArgs` beyond the common flags. */
export interface BenchArgsSpec<O> {
  /** Printed (with a newline) on stdout for --help, which then exits with status 0. */
  readonly usage: string;
  /** The script's own flags, in `node:util` parseArgs form. */
  readonly options: O;
  /** Default and largest --connections. */
  readonly connections: { readonly default: number; readonly max: number };
}

/**
 * Parse `process.argv` strictly (an unknown flag throws) with the common flags --rounds N (1..50;
 * 3, or 1 with --quick), --duration S (1..600; 10, or 2 with --quick), --connections N, --quick,
 * --strict and --help plus `spec.options`. Returns all parsed values and the three checked integers.
 */
export function parseBenchArgs<const O extends NonNullable<ParseArgsConfig['options']>>(spec: BenchArgsSpec<O>) {
  const { values } = parseArgs({ options: { ...COMMON_OPTIONS, ...spec.options }, strict: true });
  const common = values as { rounds?: string; duration?: string; connections?: string; quick: boolean; help: boolean };
  if (common.help) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  return {
    flags: values,
    rounds: intFlag('rounds', common.rounds, common.quick ? 1 : 3, 50),
    duration: intFlag('duration', common.duration, common.quick ? 2 : 10, 600),
    connections: intFlag('connections', common.connections, spec.connections.default, spec.connections.max),
  };
}

/** Write one progress line to stderr, prefixed with `[bench HH:MM:SS]` (UTC). */
export function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
