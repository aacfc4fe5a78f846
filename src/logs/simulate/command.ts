/** `vigia logs simulate`: a cluster of web servers' access logs, sent to a collector or written to files. */
import { flagReader } from '../../core/flag-reader.js';
import { Option, type Command } from 'commander';
import { probeServer } from '../../core/client-errors.js';
import { parseClientToken, readConfigFile } from '../../core/config-file.js';
import { VigiaError } from '../../core/errors.js';
import { SIM_FORMATS, type SimFormat } from './access-line.js';
import type { SimulationSummary } from './sim-tally.js';

/** Validated flags: either a run against `server` or files under `out`. */
export interface SimulateFlags {
  readonly nodes: number;
  readonly rate: number | 'max';
  readonly durationSeconds?: number;
  readonly lines?: number;
  readonly seed: number;
  readonly format: SimFormat;
  readonly badShare: number;
  readonly batchLines: number;
  readonly concurrency: number;
  readonly gzip: boolean;
  readonly startMs?: number;
  readonly server?: string;
  readonly tokenFile?: string;
  readonly out?: string;
}

/** `30s`, `5m`, `2h`, `1d` or plain seconds -> seconds; NaN when it is none of those. */
export function parseDurationText(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

/** Parse and check the flags (pure); throws VIGIA_ERR_CONFIG naming the flag as typed. */
export function parseSimulateFlags(opts: Record<string, unknown>): SimulateFlags {
  const { fail, str, int } = flagReader(opts);
  const nodes = int('nodes', 'nodes', 1, 100_000) ?? 500;
  const rateText = str('rate');
  let rate: number | 'max' = nodes * 100;
  if (rateText === 'max') rate = 'max';
  else if (rateText !== undefined) {
    rate = Number(rateText);
    if (!/^\d+(\.\d+)?$/.test(rateText) || !(rate >= 0.001 && rate <= 100_000_000)) fail('rate', `expected lines per second from 0.001 to 100000000 or "max", got ${JSON.stringify(rateText)}`);
  }
  const durationText = str('duration');
  let durationSeconds: number | undefined;
  if (durationText !== undefined) {
    durationSeconds = parseDurationText(durationText);
    if (!(durationSeconds > 0 && durationSeconds <= 30 * 86_400)) fail('duration', `expected a duration such as 30s, 5m or 2h (at most 30d), got ${JSON.stringify(durationText)}`);
  }
  const lines = int('lines', 'lines', 1, 10_000_000_000);
  const format = (str('logFormat') ?? 'combined') as SimFormat;
  if (!SIM_FORMATS.includes(format)) fail('log-format', `must be one of ${SIM_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const badText = str('badShare') ?? '0.002';
  const badShare = Number(badText);
  if (!/^\d*\.?\d+$/.test(badText) || badShare > 0.5) fail('bad-share', `expected a fraction from 0 to 0.5, got ${JSON.stringify(badText)}`);
  const startText = str('start');
  let startMs: number | undefined;
  if (startText !== undefined) {
    startMs = Date.parse(startText);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(startText) || Number.isNaN(startMs)) fail('start', `expected an ISO-8601 time such as 2026-03-01T00:00:00Z, got ${JSON.stringify(startText)}`);
  }
  const out = str('out');
  const server = str('server');
  const tokenFile = str('tokenFile');
  if (out !== undefined && server !== undefined) fail('out', 'give --out DIR (write files) or --server URL (send), not both');
  if (out === undefined) {
    if (server === undefined) fail('server', 'required (the collector URL, e.g. http://127.0.0.1:8514), or --out DIR to write files');
    let url: URL;
    try {
      url = new URL(server!);
    } catch {
      return fail('server', `not a URL: ${JSON.stringify(server)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('server', `must be an http:// or https:// URL, got ${url.protocol}`);
    if (url.username || url.password) fail('server', 'must not carry credentials; use --token-file');
    if (tokenFile === undefined) fail('token-file', 'required with --server (a file holding a shipper token)');
  } else {
    if (rate === 'max') fail('rate', 'max is for --server; with --out give lines per second of log time');
    if (tokenFile !== undefined) fail('token-file', 'only with --server');
  }
  // Bounded by design: with neither bound given, a run lasts 60 s (files: 60 s of log time).
  if (durationSeconds === undefined && lines === undefined) durationSeconds = 60;
  return {
    nodes,
    rate,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(lines === undefined ? {} : { lines }),
    seed: int('seed', 'seed', 0, 2 ** 31 - 1) ?? 1,
    format,
    badShare,
    batchLines: int('batch', 'batch', 1, 100_000) ?? 1000,
    concurrency: int('concurrency', 'concurrency', 1, 4096) ?? 64,
    gzip: opts.gzip !== false,
    ...(startMs === undefined ? {} : { startMs }),
    ...(server === undefined ? {} : { server }),
    ...(tokenFile === undefined ? {} : { tokenFile }),
    ...(out === undefined ? {} : { out }),
  };
}

/**
 * Every token of a client token file, one per line (blank lines and `#` comments skipped, each line as
 * parseClientToken reads it): node i sends with token i mod n, so a collector that files lines under the
 * token's host sees n web servers. Throws VIGIA_ERR_CONFIG naming `source` when there is none.
 */
export function parseTokenLines(text: string, source: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (lines.length === 0) return [parseClientToken(text, source)];
  return lines.map((l, i) => parseClientToken(l, `${source} line ${i + 1}`));
}

function progressLine(s: SimulationSummary): string {
  const errs = Object.entries(s.batches.errors).map(([k, v]) => `${k}=${v}`).join(' ');
  return `vigia logs simulate: ${s.seconds.toFixed(1)}s acknowledged=${s.lines.acknowledged} (${s.lines_per_second}/s) dropped=${s.lines.dropped} queued=${s.lines.unsent}${errs ? ` errors: ${errs}` : ''}\n`;
}

/** Attach `vigia logs simulate`. */
export function registerSimulate(logs: Command): void {
  const cmd = logs
    .command('simulate')
    .description('simulate a web cluster\'s access logs: send them to a collector as N shippers, or write one file per node (tests, benchmarks, demos)')
    .addOption(new Option('--nodes <n>', 'simulated web servers (sim-0001 ...)').default('500'))
    .addOption(new Option('--rate <lines/s|max>', 'lines per second over all nodes (default 100 per node); max: as fast as the collector answers'))
    .addOption(new Option('--duration <d>', 'stop after this long (30s, 5m, 2h; default 60s unless --lines)'))
    .addOption(new Option('--lines <n>', 'stop after this many lines in all'))
    .addOption(new Option('--server <url>', 'collector base URL (vigia logs serve), e.g. http://127.0.0.1:8514'))
    .addOption(new Option('--token-file <path>', 'file holding a shipper token, or one per line (node i sends with token i mod n)'))
    .addOption(new Option('--out <dir>', 'write DIR/sim-0001.access.log ... and DIR/manifest.json instead of sending'))
    .addOption(new Option('--seed <n>', 'the same seed gives the same lines').default('1'))
    .addOption(new Option('--log-format <name>', `line format: ${SIM_FORMATS.join(', ')}`).default('combined'))
    .addOption(new Option('--bad-share <fraction>', 'share of lines that do not parse').default('0.002'))
    .addOption(new Option('--start <time>', 'timestamp of the first line (ISO-8601; default now, or an hour ago with --rate max)'))
    .addOption(new Option('--batch <lines>', 'most lines per batch').default('1000'))
    .addOption(new Option('--concurrency <n>', 'most requests in flight').default('64'))
    .addOption(new Option('--no-gzip', 'send batches uncompressed'))
    .action(async (opts: Record<string, unknown>) => {
      const f = parseSimulateFlags(opts);
      const shares = { bad: f.badShare };
      if (f.out !== undefined) {
        const { writeNodeFiles } = await import('./write-files.js');
        const lines = f.lines ?? Math.round((f.rate as number) * f.durationSeconds!);
        const manifest = await writeNodeFiles({ dir: f.out, nodes: f.nodes, lines, rate: f.rate as number, seed: f.seed, format: f.format, startMs: f.startMs ?? Date.now() - (lines / (f.rate as number)) * 1000, shares }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') throw new VigiaError('VIGIA_ERR_CONFIG', `--out ${f.out}: ${err.path ?? 'a file'} exists already; give an empty directory`);
          if (typeof err.code === 'string' && err.path) throw new VigiaError('VIGIA_ERR_CONFIG', `--out ${f.out}: cannot write ${err.path} (${err.code})`);
          throw err;
        });
        process.stdout.write(`${JSON.stringify({ out: f.out, lines: manifest.lines, kinds: manifest.kinds, files: manifest.files.length }, null, 2)}\n`);
        return;
      }
      const tokens = parseTokenLines(await readConfigFile(f.tokenFile!, '--token-file'), `--token-file ${f.tokenFile}`);
      const url = f.server!.replace(/\/+$/, '');
      // A collector that cannot be reached is one line and status 2, not a summary of failures.
      await probeServer(url, '/healthz', undefined, 10_000);
      const ac = new AbortController();
      const onSignal = (): void => {
        process.stderr.write('vigia logs simulate: stopping (waiting for batches in flight)\n');
        ac.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const { runLogSimulation } = await import('./simulator.js');
        const summary = await runLogSimulation({
          url,
          tokens,
          nodes: f.nodes,
          rate: f.rate,
          ...(f.durationSeconds === undefined ? {} : { durationSeconds: f.durationSeconds }),
          ...(f.lines === undefined ? {} : { lines: f.lines }),
          seed: f.seed,
          format: f.format,
          shares,
          batchLines: f.batchLines,
          flushMs: 1000,
          concurrency: f.concurrency,
          gzip: f.gzip,
          ...(f.startMs === undefined ? {} : { startMs: f.startMs }),
          maxTries: 5,
          requestTimeoutMs: 30_000,
          drainMs: 30_000,
          backlogLines: 2_000_000,
          signal: ac.signal,
          onProgress: (s) => process.stderr.write(progressLine(s)),
          progressEveryMs: 5000,
        });
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        if (summary.stopped === 'refused') process.stderr.write('vigia logs simulate: the collector refused the token (401/403); check --token-file\n');
        if (summary.stopped === 'refused' || (summary.lines.generated > 0 && summary.lines.acknowledged === 0)) process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  cmd.addHelpText(
    'after',
    `
Each simulated node is one web server's shipper: its own access-log stream (Zipf-distributed URLs over one
site, heavy-tailed IPv4/IPv6 clients, crawlers, 404s, 5xx, TLS probes, --bad-share unparseable lines, rare
long lines; Apache habits on even nodes, nginx on odd ones), sent as gzip batches of raw lines to
<server>/v1/logs/lines with X-Vigia-Log-Source sim-0001:..., byte offsets and the lines count, at most
one flush per node per second (--rate N), or back to back (--rate max). 429/503 are retried after
Retry-After, other failures with backoff, 5 tries; then the batch is dropped and counted (and the
node's X-Vigia-Log-Dropped says so). The run is bounded by --duration or --lines and waits at most 30 s
for batches in flight. The same --seed gives the same lines.

Progress goes to stderr every 5 s; the summary (lines generated, acknowledged, dropped, unsent, and the
collector's stored/rejected/duplicates) is printed as JSON on stdout. Exit status 1 when the token was
refused or nothing was acknowledged.`,
  );
}
