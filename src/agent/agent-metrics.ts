/**
 * The agent's own metrics: HTTP requests and latency by route, stuck statfs threads, stale mounts,
 * and the standard process metrics under the names prom-client and every Prometheus client library use
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`, ...). Rendered by hand: prom-client
 * costs ~13 MB of resident memory (node alone 39 MB RSS, node + prom-client 52 MB: docs/agent-performance.md,
 * "What limits it, and what was done") and the agent needs a handful of series.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { escapeLabelValue } from './node-metrics.js';

/** Latency buckets, seconds. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] as const;

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Gauges read at scrape time (stale mounts, stuck statfs threads, the report spool when reporting is on). */
export interface AgentGauges {
  readonly staleMounts: () => number;
  readonly stuckStatfsThreads: () => number;
  /** Present only with --report-to: the report families are rendered only then. */
  readonly reports?: () => { spoolFiles: number; spoolBytes: number; lastSuccessSeconds: number | null };
}

/** What became of a host report (the `outcome` label of vigia_agent_reports_total). */
export type ReportOutcomeLabel = 'delivered' | 'spooled' | 'dropped';

/** Counters and histograms of the agent, and their exposition. */
export class AgentMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly startTime = Math.floor(Date.now() / 1000 - process.uptime());
  private readonly reports: Record<ReportOutcomeLabel, number> = { delivered: 0, spooled: 0, dropped: 0 };

  constructor(private readonly gauges: AgentGauges) {}

  /** Count one answered request. */
  observeRequest(route: string, status: number, seconds: number): void {
    const key = `route="${escapeLabelValue(route)}",code="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.durations.get(route);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(route, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Count host reports by what became of them. */
  countReports(outcome: ReportOutcomeLabel, n = 1): void {
    this.reports[outcome] += n;
  }

  /** Prometheus text exposition of everything above. */
  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string, lines: string[]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    family('vigia_agent_http_requests_total', 'counter', 'HTTP requests answered, by route pattern and status code.',
      [...this.requests].sort().map(([k, v]) => `vigia_agent_http_requests_total{${k}} ${v}`));
    const hist: string[] = [];
    for (const [route, h] of [...this.durations].sort(([a], [b]) => a.localeCompare(b))) {
      const r = `route="${escapeLabelValue(route)}"`;
      BUCKETS.forEach((b, i) => hist.push(`vigia_agent_http_request_duration_seconds_bucket{${r},le="${b}"} ${h.counts[i]}`));
      hist.push(`vigia_agent_http_request_duration_seconds_bucket{${r},le="+Inf"} ${h.count}`);
      hist.push(`vigia_agent_http_request_duration_seconds_sum{${r}} ${h.sum}`, `vigia_agent_http_request_duration_seconds_count{${r}} ${h.count}`);
    }
    family('vigia_agent_http_request_duration_seconds', 'histogram', 'Time to answer an HTTP request, by route pattern.', hist);
    family('vigia_agent_stale_mounts', 'gauge', 'Mounts skipped because their statfs missed the deadline and has not answered since.', [`vigia_agent_stale_mounts ${this.gauges.staleMounts()}`]);
    family('vigia_agent_statfs_stuck_threads', 'gauge', 'statfs worker threads stuck in the kernel on a hung mount (abandoned).', [`vigia_agent_statfs_stuck_threads ${this.gauges.stuckStatfsThreads()}`]);

    const rep = this.gauges.reports?.();
    if (rep) {
      family('vigia_agent_reports_total', 'counter', 'Host reports by outcome: delivered to the control plane, spooled to disk for later, dropped (refused for good, or oldest dropped from a full spool).',
        (['delivered', 'spooled', 'dropped'] as const).map((o) => `vigia_agent_reports_total{outcome="${o}"} ${this.reports[o]}`));
      family('vigia_agent_report_spool_files', 'gauge', 'Undelivered host reports in the spool.', [`vigia_agent_report_spool_files ${rep.spoolFiles}`]);
      family('vigia_agent_report_spool_bytes', 'gauge', 'Bytes of undelivered host reports in the spool.', [`vigia_agent_report_spool_bytes ${rep.spoolBytes}`]);
      // 0 until the first delivery, as node_exporter's textfile mtime does: alert on time() - this.
      family('vigia_agent_report_last_success_timestamp_seconds', 'gauge', 'When the control plane last took a host report, seconds since the epoch; 0 before the first.',
        [`vigia_agent_report_last_success_timestamp_seconds ${rep.lastSuccessSeconds ?? 0}`]);
    }

    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    family('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', [`process_cpu_user_seconds_total ${cpu.user / 1e6}`]);
    family('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', [`process_cpu_system_seconds_total ${cpu.system / 1e6}`]);
    family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [`process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`]);
    family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [`process_start_time_seconds ${this.startTime}`]);
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [`process_resident_memory_bytes ${mem.rss}`]);
    family('process_open_fds', 'gauge', 'Number of open file descriptors.', [`process_open_fds ${openFds()}`]);
    family('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', [`nodejs_heap_size_total_bytes ${mem.heapTotal}`]);
    family('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', [`nodejs_heap_size_used_bytes ${mem.heapUsed}`]);
    family('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', [`nodejs_external_memory_bytes ${mem.external}`]);
    return `${out.join('\n')}\n`;
  }
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** The process's resident set (VmRSS) in bytes from /proc/self/status, for tests and benchmarks. */
export function residentBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
