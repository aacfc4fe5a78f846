/**
 * `vigia run ACTION --where k=v,... [--param k=v]... --concurrency 50|5% --max-errors 10|1%`: run an
 * allow-listed agent action on many hosts through the control plane, rate controlled like AWS
 * Systems Manager Run Command. Streams results, draws a progress line, prints a summary table, and
 * exits 0 (all succeeded), 1 (some failed), 2 (stopped by --max-errors), 3 (cancelled).
 */
import { Command, Option } from 'commander';
import { VigiaError, isVigiaError } from '../../core/errors.js';
import { sanitiseJson, sanitiseText } from '../../core/sanitise.js';
import { callServer, callServerJson, serverTarget } from '../client.js';
import type { RunHostRow } from '../store/fleet-store.js';
import type { FinalRunState, HostStatus } from './engine.js';
import { exitCodeFor, renderProgressLine, renderResultLine, renderSummary } from './progress.js';
import type { RunResultLine, RunView } from './run-service.js';
import { parseDurationFlag, parseLimit, parseParams, parseWhere } from './selector.js';
import { plural } from '../../core/plural.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const statusOf = (s: RunHostRow['state']): HostStatus => (s === 'interrupted' ? 'timed_out' : s);

/** Attach `vigia run` to the program. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run an allow-listed agent action on the hosts a --where selects, with concurrency and error limits')
    .argument('<action>', 'the action name (as the agents list it: GET /v1/actions)')
    .addOption(new Option('--where <k=v,...>', "tags that must all match: KEY=V the operator's tag (enrolment), reported:KEY=V the tag the host reports, host=NAME one host"))
    .addOption(new Option('--all', 'target every enrolled host (required when there is no --where)'))
    .addOption(new Option('--param <k=v>', 'action parameter, repeatable').argParser(collect))
    .addOption(new Option('--concurrency <n|pct%>', 'hosts in flight at most (sliding window)').default('10'))
    .addOption(new Option('--max-errors <n|pct%>', 'stop dispatching once more hosts than this failed').default('0'))
    .addOption(new Option('--ramp-up', 'start with one host in flight and double after each fully successful window'))
    .addOption(new Option('--timeout <duration>', 'per-host limit; a host without a result by then counts as an error').default('10m'))
    .addOption(new Option('--dry-run', 'show which hosts would run it; dispatch nothing'))
    .addOption(new Option('--json', 'print one JSON line per result and the final run as JSON'))
    .addOption(new Option('--server <url>', 'the control plane (vigia server)').env('VIGIA_SERVER_URL').makeOptionMandatory())
    .addOption(new Option('--token-file <path>', 'file holding an operator token with scope run').env('VIGIA_TOKEN_FILE'))
    .addHelpText('after', `
Examples:
  vigia run purge-binlogs --where role=mysql,az=us-east-1a --param days=3 --concurrency 5% --max-errors 1%
  vigia run motd-fortune --all --concurrency 50 --dry-run
  vigia run collect-facts --where reported:os=debian12 --dry-run

Selectors: role=mysql matches the tag the operator gave the host (vigia server enroll --tag); a host's
reports cannot change it. reported:role=mysql matches the tag the host itself reports (vigia agent
--tag), which a compromised host can set to anything: do not aim remediation at it alone.

Semantics (as AWS SSM Run Command): at most --concurrency hosts run at once; once more hosts than
--max-errors have failed (failed, timed out or refused), no new host starts; hosts already running
finish, so up to --concurrency - 1 more errors can land after the stop. Exit code: 0 all succeeded,
1 some failed, 2 stopped by --max-errors, 3 cancelled (Ctrl-C cancels the run: no new host starts).`)
    .action(async (action: string, opts: Record<string, unknown>) => {
      const where = opts.where ? parseWhere(String(opts.where)) : {};
      if (!opts.where && !opts.all) throw new VigiaError('VIGIA_ERR_CONFIG', 'no --where: to run on every enrolled host, say --all');
      if (opts.where && opts.all) throw new VigiaError('VIGIA_ERR_CONFIG', '--where and --all exclude each other');
      parseLimit(String(opts.concurrency), '--concurrency', { min: 1 });
      parseLimit(String(opts.maxErrors), '--max-errors');
      const params = parseParams((opts.param as string[] | undefined) ?? []);
      const timeoutMs = parseDurationFlag(String(opts.timeout), '--timeout');
      const t = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
      const started = await callServerJson<{ run: RunView | null; targets: number; dry_run: boolean; hosts?: string[] }>(t, 'POST', '/v1/runs', {
        action, params, where, all: Boolean(opts.all), concurrency: String(opts.concurrency), max_errors: String(opts.maxErrors),
        ramp_up: Boolean(opts.rampUp), timeout_ms: timeoutMs, dry_run: Boolean(opts.dryRun),
      }).catch((err: unknown) => {
        // Name what the user typed (not the server's JSON of it) and where to look, still one catalogued line.
        if (!isVigiaError(err, 'CONTROL_ERR_NO_TARGETS')) throw err;
        throw new VigiaError('CONTROL_ERR_NO_TARGETS', opts.all ? '--all: no host is enrolled yet (vigia server enroll)' : `--where ${String(opts.where)} (vigia server hosts shows each host's tags and reported tags)`);
      });
      if (started.dry_run || !started.run) {
        const hosts = started.hosts ?? [];
        process.stdout.write(opts.json ? `${sanitiseJson(JSON.stringify(started))}\n` : `dry run: ${action} would run on ${plural(started.targets, 'host')}:\n${hosts.slice(0, 50).map((h) => `  ${sanitiseText(h)}`).join('\n')}${started.targets > 50 ? `\n  ... and ${started.targets - 50} more` : ''}\n`);
        return;
      }
      const id = started.run.id;
      const tty = Boolean(process.stderr.isTTY) && !opts.json;
      process.stderr.write(`run ${id}: ${action} on ${plural(started.targets, 'host')}, concurrency ${started.run.concurrency}, max errors ${started.run.max_errors}\n`);
      let cancelled = false;
      const onSigint = (): void => {
        if (cancelled) process.exit(130);
        cancelled = true;
        process.stderr.write(`\ncancelling run ${id} (in-flight hosts finish; Ctrl-C again to leave)\n`);
        void callServer(t, 'POST', `/v1/runs/${id}/cancel`).catch((err: unknown) => process.stderr.write(`cancel failed: ${(err as Error).message}\n`));
      };
      process.on('SIGINT', onSigint);
      const t0 = Date.now();
      let after = 0;
      let view = started.run;
      try {
        // Bounded: one loop per result batch or per 5 s wait, for at most the run's own worst case.
        const deadline = Date.now() + timeoutMs * Math.max(1, Math.ceil(started.targets / Math.max(1, started.run.concurrency))) + 60_000;
        while (Date.now() < deadline) {
          const page = await callServerJson<{ results: RunResultLine[]; next: number; done: boolean }>(t, 'GET', `/v1/runs/${id}/results?after=${after}&wait=5`);
          after = page.next;
          for (const r of page.results) {
            // Host output is the host's to choose: every line printed goes through core/sanitise.
            if (opts.json) process.stdout.write(`${sanitiseJson(JSON.stringify(r))}\n`);
            else if (r.state !== 'succeeded') process.stderr.write(`${tty ? '\r\u001b[K' : ''}${renderResultLine(r)}\n`);
          }
          view = await callServerJson<RunView>(t, 'GET', `/v1/runs/${id}`);
          if (tty) process.stderr.write(`\r\u001b[K${renderProgressLine(view.counts, Date.now() - t0, process.stderr.columns ?? 100, true)}`);
          if (page.done) break;
        }
      } finally {
        process.off('SIGINT', onSigint);
      }
      if (tty) process.stderr.write('\n');
      view = await callServerJson<RunView>(t, 'GET', `/v1/runs/${id}`);
      const final: FinalRunState = view.state === 'succeeded' || view.state === 'cancelled' ? view.state : 'failed';
      if (opts.json) {
        process.stdout.write(`${sanitiseJson(JSON.stringify(view))}\n`);
      } else {
        const hosts = (await callServerJson<{ hosts: RunHostRow[] }>(t, 'GET', `/v1/runs/${id}/hosts`)).hosts;
        process.stdout.write(renderSummary(hosts.map((h) => ({ host: h.host, status: statusOf(h.state), exitCode: h.exitCode, durationMs: h.durationMs, output: h.output })), view.counts));
      }
      if (view.state === 'running' || view.state === 'stopping') {
        process.stderr.write(`run ${id} is still going on the control plane; its results: GET ${t.url}/v1/runs/${id}/results\n`);
        process.exitCode = 1;
        return;
      }
      process.exitCode = exitCodeFor(final, view.counts);
    });
}
