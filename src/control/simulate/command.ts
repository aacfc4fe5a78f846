/** `vigia simulate`: a synthetic MySQL fleet reporting to a control plane (load tests, demos). */
import { flagReader } from '../../core/flag-reader.js';
import { Command, Option } from 'commander';
import { probeServer } from '../../core/client-errors.js';
import { readClientToken } from '../../core/config-file.js';
import { VigiaError } from '../../core/errors.js';
import type { SimulationOptions, SimulationProgress } from './simulator.js';

/** Parsed, validated flags of `vigia simulate` (pure: no I/O, throws VIGIA_ERR_CONFIG naming the flag). */
export function parseSimulateFlags(opts: Record<string, unknown>): Omit<SimulationOptions, 'adminToken' | 'ingestToken'> & { adminTokenFile: string; ingestTokenFile?: string } {
  const { fail, str, int, num } = flagReader(opts);
  const to = str('to') ?? fail('to', 'required (the control plane URL, e.g. http://127.0.0.1:8080)');
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    return fail('to', `not a URL: ${JSON.stringify(to)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('to', `must be an http:// or https:// URL, got ${url.protocol}`);
  if (url.username || url.password) fail('to', 'must not carry credentials; use --admin-token-file');
  const adminTokenFile = str('adminTokenFile') ?? fail('admin-token-file', 'required (a file holding the admin token)');
  const rate = str('rate') ?? 'nominal';
  if (rate !== 'nominal' && rate !== 'max') fail('rate', `must be nominal or max, got ${JSON.stringify(rate)}`);
  if (opts.duration !== undefined && opts.rounds !== undefined) fail('rounds', 'give --duration or --rounds, not both');
  const protocol = str('protocol') ?? 'v1';
  if (protocol !== 'v1' && protocol !== 'v2') fail('protocol', `must be v1 or v2, got ${JSON.stringify(protocol)}`);
  const ingestTokenFile = str('ingestTokenFile');
  if (protocol === 'v2' && !ingestTokenFile) fail('ingest-token-file', 'required with --protocol v2 (a file holding an operator token with scope ingest)');
  if (protocol === 'v1' && ingestTokenFile) fail('ingest-token-file', 'only with --protocol v2 (v1 reports with each host\'s own token)');
  if (protocol === 'v1' && opts.batch !== undefined) fail('batch', 'only with --protocol v2');
  return {
    url: url.href,
    adminTokenFile,
    ...(ingestTokenFile ? { ingestTokenFile } : {}),
    protocol: protocol as SimulationOptions['protocol'],
    batchSize: int('batch', 'batch', 1, 1000),
    hosts: int('hosts', 'hosts', 1, 1_000_000)!,
    intervalSeconds: int('interval', 'interval', 1, 86_400)!,
    durationSeconds: num('duration', 'duration', 0.001, 30 * 86_400),
    rounds: int('rounds', 'rounds', 1, 1_000_000),
    rate: rate as SimulationOptions['rate'],
    concurrency: int('concurrency', 'concurrency', 1, 10_000)!,
    seed: int('seed', 'seed', 0, 2 ** 31 - 1)!,
    backfillDays: num('backfill-days', 'backfillDays', 0, 400)!,
    backfillStepSeconds: int('backfill-step', 'backfillStep', 1, 86_400)!,
    dyingFraction: num('dying', 'dying', 0, 1)!,
    ...(opts.dyingWindow === undefined ? {} : { dyingWindowSeconds: num('dying-window', 'dyingWindow', 0.001, 30 * 86_400)! }),
  };
}


function progressLine(p: SimulationProgress): string {
  const errs = Object.entries(p.counts.errors).map(([k, v]) => `${k}=${v}`).join(' ');
  const of = p.total === null ? '' : `/${p.total}`;
  const counts = p.phase === 'enroll' ? '' : ` stored=${p.counts.stored} duplicate=${p.counts.duplicate} expired=${p.counts.expired}${p.counts.retried ? ` retried=${p.counts.retried}` : ''}${errs ? ` errors: ${errs}` : ''}`;
  return `vigia simulate: ${p.elapsedSeconds.toFixed(1)}s ${p.phase} ${p.done}${of} ${p.ratePerSecond}/s${counts}\n`;
}

/** Attach `vigia simulate` to the program. */
export function register(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('simulate a fleet of MySQL hosts reporting to a control plane (load tests, demos); prints a JSON summary')
    .addOption(new Option('--to <url>', 'control-plane base URL (http:// or https://), e.g. http://127.0.0.1:8080'))
    .addOption(new Option('--admin-token-file <path>', 'file holding the admin token used to enrol the simulated hosts'))
    .addOption(new Option('--hosts <n>', 'number of simulated hosts (sim-00001 ...)').default('10000'))
    .addOption(new Option('--interval <seconds>', 'report interval of each host').default('60'))
    .addOption(new Option('--duration <seconds>', 'length of the live phase (default 120 unless --rounds)'))
    .addOption(new Option('--rounds <n>', 'reports per host in the live phase, instead of --duration'))
    .addOption(new Option('--rate <mode>', 'nominal: each host once per interval, spread evenly; max: as fast as the server answers').choices(['nominal', 'max']).default('nominal'))
    .addOption(new Option('--concurrency <n>', 'most requests in flight (keep-alive connections)').default('64'))
    .addOption(new Option('--seed <n>', 'fleet seed: the same seed gives the same hosts and numbers').default('1'))
    .addOption(new Option('--backfill-days <days>', 'days of history to send before the live phase').default('0'))
    .addOption(new Option('--backfill-step <seconds>', 'one history report per host per this many seconds').default('3600'))
    .addOption(new Option('--dying <fraction>', 'share of hosts that stop reporting during the run').default('0.001'))
    .addOption(new Option('--dying-window <seconds>', 'the dying hosts stop within this many seconds of the live phase\'s start (default: the whole live phase)'))
    .addOption(new Option('--protocol <v1|v2>', 'v1: one report per request, each host with its own token; v2: gzip batches of many hosts\' reports with an ingest token (a relay)').choices(['v1', 'v2']).default('v1'))
    .addOption(new Option('--ingest-token-file <path>', 'file holding an operator token with scope ingest (--protocol v2)'))
    .addOption(new Option('--batch <n>', 'reports per v2 batch at most (1-1000; default 500)'))
    .action(async (opts: Record<string, unknown>) => {
      const flags = parseSimulateFlags(opts);
      const adminToken = await readClientToken(flags.adminTokenFile, '--admin-token-file');
      const ingestToken = flags.ingestTokenFile === undefined ? undefined : await readClientToken(flags.ingestTokenFile, '--ingest-token-file');
      const { adminTokenFile: _, ingestTokenFile: __, ...rest } = flags;
      // A control plane that cannot be reached (or answers errors) is one line and status 2, not a summary of failures.
      await probeServer(flags.url.replace(/\/+$/, ''), '/healthz', undefined, 10_000);
      const ac = new AbortController();
      // First Ctrl-C: stop sending and print the summary so far; the second one is the default (kill).
      const onSignal = (): void => {
        process.stderr.write('vigia simulate: stopping (waiting for requests in flight)\n');
        ac.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const { runSimulation } = await import('./simulator.js');
        const summary = await runSimulation({
          ...rest,
          adminToken,
          ...(ingestToken ? { ingestToken } : {}),
          signal: ac.signal,
          onProgress: (p) => process.stderr.write(progressLine(p)),
          progressEveryMs: 5000,
        });
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        const errors = Object.values(summary.live.errors).reduce((a, b) => a + b, 0);
        if (summary.protocolUnavailable) process.stderr.write('vigia simulate: the server answered 404 to POST /v2/reports (older than report protocol v2); use --protocol v1\n');
        if (summary.enrolled === 0 || summary.protocolUnavailable || (summary.live.sent > 0 && errors === summary.live.sent)) process.exitCode = 1;
      } catch (err) {
        if (err instanceof RangeError) throw new VigiaError('VIGIA_ERR_CONFIG', err.message);
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  cmd.addHelpText(
    'after',
    `
The simulated hosts are enrolled with POST <url>/v1/hosts/enroll (admin token), 1000 a request (one
per request when the server is older than bulk enrolment). With --protocol v1 (default) each host then
POSTs one host report to <url>/v1/reports per --interval with its own token, spread evenly over the
interval like a real fleet. With --protocol v2 the simulator plays a relay: the same reports leave as
gzip batches of up to --batch reports of many hosts to <url>/v2/reports with the --ingest-token-file
token (scope ingest), at most a second after they are due; a server older than v2 (404) stops the run.
429 and 503 answers (and v2 reports refused with a 429 or 503 code) are sent again after Retry-After
plus jitter, up to 5 tries; enrolment requests up to 10 tries. The
numbers are deterministic from --seed, host and time: data volumes grow at a per-host rate, binlog
volumes fill and are purged daily, CPU follows a daily cycle; a few hosts run near full or with high
iowait, and --dying of them stop reporting during the run.

Progress goes to stderr every 5 s; the summary (outcomes, errors by status or v2 error code, retries,
latency percentiles per request) is printed as JSON on stdout. Exit status 1 when nothing could be
enrolled, every report failed, or v2 was asked of a server without it.

Examples:
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --hosts 10000 --duration 300
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --hosts 1000 --rate max --rounds 20 --concurrency 128
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --hosts 100 --backfill-days 30 --rounds 1
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --protocol v2 --ingest-token-file ingest.token --hosts 10000 --rate max --rounds 10 --concurrency 8
`,
  );
}
