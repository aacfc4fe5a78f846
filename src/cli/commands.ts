/**
 * The table of `vigia` subcommands. Each entry loads its role lazily so `vigia turno` never pays for
 * the code of other roles.
 */
import type { Command } from 'commander';

/** One subcommand: its name, a one-line summary, and how to attach it to the program. */
export interface SubcommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<{ register: (program: Command) => void }>;
}

/** Every subcommand, in the order `vigia --help` lists them. */
export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  { name: 'up', summary: 'the platform on this machine in one command: control plane + web console, log collector, this host\'s agent (--demo: a living demo)', load: () => import('../up/command.js') },
  { name: 'turno', summary: 'take-a-number counter service (serve, check)', load: () => import('../turno/command.js') },
  { name: 'agent', summary: 'per-host agent API: devices, system, processes, /metrics, allow-listed actions', load: () => import('../agent/command.js') },
  { name: 'server', summary: 'fleet control plane: host reports in, capacity and performance reports out (enroll, hosts, remove)', load: () => import('../control/command.js') },
  { name: 'report', summary: 'fleet reports now: capacity (days until full, stale hosts), performance (daily summary)', load: () => import('../control/report-command.js') },
  { name: 'bundle', summary: 'signed check bundles: keygen, publish (starts a rollout in waves), list', load: () => import('../control/bundles/bundle-command.js') },
  { name: 'rollout', summary: 'the current bundle rollout: status --watch, pause, resume, rollback, drift', load: () => import('../control/rollouts/rollout-command.js') },
  { name: 'run', summary: 'run an agent action on many hosts: --where, --concurrency, --max-errors (like SSM Run Command)', load: () => import('../control/fleet-runs/run-command.js') },
  { name: 'slo', summary: 'service level objectives: yearly SLO and DORA report from deploys, outages and tickets; Sloth-compatible burn-rate rules', load: () => import('../slo/command.js') },
  { name: 'logs', summary: 'access-log analytics: ship and collect web-server logs, ask who visited a URL, top lists, report', load: () => import('../logs/command.js') },
  { name: 'simulate', summary: 'synthetic fleet: thousands of agents reporting to a control plane (tests, benchmarks)', load: () => import('../control/simulate/command.js') },
  { name: 'token', summary: 'create bearer tokens and their hashes for token files', load: () => import('./token-command.js') },
];
