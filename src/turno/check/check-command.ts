/** `vigia turno check`: options only; the load client and verifier load lazily in the action. */
import type { Command } from 'commander';

/** Attach `vigia turno check` under `turno`. */
export function registerCheck(turno: Command): void {
  turno.command('check').description('load a turno service and verify its history (placeholder)');
}
