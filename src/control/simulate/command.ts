/** `vigia simulate`: a synthetic MySQL fleet reporting to a control plane (load tests, demos). */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { probeServer } from '../../core/client-errors.js';
import { VigiaError } from '../../core/errors.js';
import type { SimulationOptions, SimulationProgress } from './simulator.js';

/** Parsed, validated flags of `vigia simulate` (pure: no I/O, throws VIGIA_ERR_CONFIG naming the flag). */
export function parseSimulateFlags(opts: Record<string, unknown>): Omit<SimulationOptions, 'adminToken'> & { adminTokenFile: string } {
  const fail = (flag: string, why: string): never => {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--${flag}: ${why}`);
  };
  const str = (k: string): string | undefined => (opts[k] === undefined ? undefined : String(opts[k]));
  const int = (flag: string, key: string, lo: number, hi: number): number | undefined => {
    const raw = str(key);
    if (raw === undefined) return undefined;
    if (!/^[0-9]+$/.test(raw)) fail(flag, `expected an integer, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if (n < lo || n > hi) fail(flag, `must be from ${lo} to ${hi}, got ${n}`);
    return n;
  };
  const num = (flag: string, key: string, lo: number, hi: number): number | undefined => {
    const raw = str(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) fail(flag, `expected a number, got ${JSON.stringify(raw)}`);
    if (n < lo || n > hi) fail(flag, `must be from ${lo} to ${hi}, got ${n}`);
    return n;
  };
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
  return {
    url: url.href,
    adminTokenFile,
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
  };
}

function progressLine(p: SimulationProgress): string {
  const errs = Object.entries(p.counts.errors).map(([k, v]) => `${k}=${v}`).join(' ');
  const of = p.total === null ? '' : `/${p.total}`;
  const counts = p.phase === 'enroll' ? '' : ` stored=${p.counts.stored} duplicate=${p.counts.duplicate} expired=${p.counts.expired}${errs ? ` errors: ${errs}` : ''}`;
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
    .action(async (opts: Record<string, unknown>) => {
      const flags = parseSimulateFlags(opts);
      let adminToken: string;
      try {
        adminToken = readFileSync(flags.adminTokenFile, 'utf8').trim();
      } catch (err) {
        throw new VigiaError('VIGIA_ERR_CONFIG', `--admin-token-file: cannot read ${flags.adminTokenFile}`, { cause: err });
      }
      if (!adminToken) throw new VigiaError('VIGIA_ERR_CONFIG', `--admin-token-file: ${flags.adminTokenFile} is empty`);
      const { adminTokenFile: _, ...rest } = flags;
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
          signal: ac.signal,
          onProgress: (p) => process.stderr.write(progressLine(p)),
          progressEveryMs: 5000,
        });
        process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        const errors = Object.values(summary.live.errors).reduce((a, b) => a + b, 0);
        if (summary.enrolled === 0 || (summary.live.sent > 0 && errors === summary.live.sent)) process.exitCode = 1;
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
Each simulated host is enrolled with POST <url>/v1/hosts/enroll (admin token), then POSTs one host
report to <url>/v1/reports per --interval, spread evenly over the interval like a real fleet. The
numbers are deterministic from --seed, host and time: data volumes grow at a per-host rate, binlog
volumes fill and are purged daily, CPU follows a daily cycle; a few hosts run near full or with high
iowait, and --dying of them stop reporting during the run.

Progress goes to stderr every 5 s; the summary (outcomes, errors by status, latency percentiles) is
printed as JSON on stdout. Exit status 1 when nothing could be enrolled or every report failed.

Examples:
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --hosts 10000 --duration 300
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --hosts 1000 --rate max --rounds 20 --concurrency 128
  vigia simulate --to http://127.0.0.1:8080 --admin-token-file admin.token --hosts 100 --backfill-days 30 --rounds 1
`,
  );
}
