/**
 * `vigia logs`: access-log analytics for a web cluster (which clients visited this URL, and when).
 * Each subcommand lives beside the code it drives and is listed here, in `--help` order:
 * gathering (ship, pipe, import, serve), questions (who, top, visits, series, report), and simulate.
 */
import type { Command } from 'commander';
import { registerSimulate } from './simulate/command.js';
import { registerServe } from './collect/serve-command.js';
import { registerPipe } from './pipe/pipe-command.js';
import { registerShip } from './ship/ship-command.js';
import { registerImport } from './import/import-command.js';
import { registerSeries } from './query/series-command.js';
import { registerReport } from './report/report-command.js';
import { registerTop } from './query/top-command.js';
import { registerVisits } from './query/visits-command.js';
import { registerWho } from './query/who-command.js';

/** A `vigia logs <sub>` registrar: attaches one subcommand to the `logs` command. */
type LogsSubcommand = (logs: Command) => void;

/** Every `vigia logs` subcommand, loaded with the role (the role is loaded lazily by src/cli/commands.ts). */
const SUBCOMMANDS: readonly LogsSubcommand[] = [
  registerShip,
  registerPipe,
  registerImport,
  registerServe,
  registerWho,
  registerTop,
  registerVisits,
  registerSeries,
  registerReport,
  registerSimulate,
];

/** Attach `vigia logs` and its subcommands to the program. */
export function register(program: Command): void {
  const logs = program.command('logs').description('access-log analytics: ship, collect, and ask who visited a URL');
  for (const add of SUBCOMMANDS) add(logs);
}
