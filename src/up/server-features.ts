/**
 * Which optional `vigia server` flags this build has. The console's SLO and logs pages bring
 * `--slo-spec` and `--logs-server`/`--logs-token-file`; `vigia up` passes them when they exist and
 * starts the server without them otherwise (the pages then say how to connect their data). Read
 * from the server command's own definition, so the answer is this build's, never a guess.
 */
import { Command } from 'commander';
import type { ServerFeatures } from './plan.js';

/** The optional flags `vigia server` has in this build. */
export async function serverFeatures(): Promise<ServerFeatures> {
  const { register } = await import('../control/command.js');
  const program = new Command('vigia');
  register(program);
  const server = program.commands.find((c) => c.name() === 'server');
  const has = (flag: string): boolean => Boolean(server?.options.some((o) => o.long === flag));
  return { sloSpec: has('--slo-spec'), logsServer: has('--logs-server') && has('--logs-token-file') };
}
