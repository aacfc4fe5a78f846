/**
 * Prometheus' node_exporter (Debian's prometheus-node-exporter) as a reference implementation,
 * started on a free loopback port, plus a small parser for the Prometheus text exposition format
 * that both node_exporter's and the agent's /metrics are read with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseExposition as checkExposition, type ExpositionSample } from '../../src/agent/node-metrics.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

/** Debian's path of node_exporter. */
export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

/** One sample of an exposition: metric name, labels, value (NaN and ±Inf included). */
/** One sample of an exposition. */
export type Sample = Readonly<ExpositionSample>;

/** A running node_exporter. */
export interface NodeExporter {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly pid: number;
  /** GET /metrics and parse it. */
  scrape(): Promise<Sample[]>;
  /** GET /metrics as text. */
  scrapeText(): Promise<string>;
  stderr(): string;
  /** SIGTERM (SIGKILL after 5 s) and wait for exit. */
  stop(): Promise<void>;
}

/**
 * Start node_exporter with only `collectors` enabled (`--collector.disable-defaults`), listening on
 * a free 127.0.0.1 port; `args` are appended (e.g. `--collector.filesystem.mount-points-exclude=...`).
 */
export async function startNodeExporter(options: { collectors?: readonly string[]; args?: readonly string[] } = {}): Promise<NodeExporter> {
  if (!existsSync(NODE_EXPORTER_BIN)) throw new Error(`${NODE_EXPORTER_BIN} missing; install it with: apt-get install -y prometheus-node-exporter (npm test installs it: bash scripts/setup.sh)`);
  const collectors = options.collectors ?? ['filesystem', 'cpu', 'diskstats'];
  const port = await freePort();
  const child = spawn(
    NODE_EXPORTER_BIN,
    [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', ...collectors.map((c) => `--collector.${c}`), '--log.level=warn', ...(options.args ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const scrapeText = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`node_exporter /metrics answered ${res.status}`);
    return res.text();
  };
  try {
    await waitFor(`node_exporter on ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`node_exporter exited with ${child.exitCode}: ${err}`);
      return (await scrapeText()).length > 0;
    }, 15_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    port,
    child,
    pid: child.pid!,
    scrapeText,
    scrape: async () => parseExposition(await scrapeText()),
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/**
 * Parse the Prometheus text format (0.0.4) with the agent's own checker (src/agent/node-metrics.ts);
 * throws on a sample line that does not parse, naming it. Format conventions (HELP/TYPE order) are not
 * this function's business: a reference's output is taken as it is.
 */
export function parseExposition(text: string): Sample[] {
  const { samples, errors } = checkExposition(text);
  const bad = errors.find((e) => e.includes('unparsable'));
  if (bad !== undefined) throw new Error(`exposition ${bad}`);
  return samples;
}

/** A stable key of a sample's series: `name{a="1",b="2"}` with labels sorted by name. */
export function seriesKey(s: Pick<Sample, 'name' | 'labels'>): string {
  const ls = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`);
  return `${s.name}{${ls.join(',')}}`;
}

/** Samples as a map from seriesKey to value; throws on a duplicate series (an exporter bug). */
export function seriesMap(samples: readonly Sample[], filter: (s: Sample) => boolean = () => true): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    if (!filter(s)) continue;
    const k = seriesKey(s);
    if (m.has(k)) throw new Error(`duplicate series ${k}`);
    m.set(k, s.value);
  }
  return m;
}
