/** The control plane's own metrics, in one place (`vigia_control_*`), on an injected registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric `vigia server` exposes besides the process/runtime ones. */
export class ControlMetrics {
  readonly reports: Counter<'outcome'>;
  readonly batchSeconds: Histogram;
  readonly batchSize: Histogram;
  readonly batchErrors: Counter;
  readonly queueLength: Gauge;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly httpSeconds: Histogram<'route'>;
  readonly hosts: Gauge<'state'>;
  readonly reportRuns: Counter<'report' | 'outcome'>;
  readonly reportLastSuccess: Gauge<'report'>;
  readonly pulls: Counter<'kind' | 'outcome'>;
  readonly partitionsDropped: Counter;
  readonly leader: Gauge;

  private queuedSource: () => number = () => 0;

  /** Where the queue-length gauge reads its value at each scrape (the ingest queue's `queued`). */
  readQueueLengthFrom(source: () => number): void {
    this.queuedSource = source;
  }

  constructor(registry: Registry) {
    const registers = [registry];
    this.reports = new Counter({ name: 'vigia_control_reports_total', help: 'Host reports received, by outcome (stored, duplicate, expired, or the error code).', labelNames: ['outcome'], registers });
    this.batchSeconds = new Histogram({ name: 'vigia_control_ingest_batch_seconds', help: 'Time to write one ingest batch (one transaction).', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.batchSize = new Histogram({ name: 'vigia_control_ingest_batch_reports', help: 'Reports per ingest batch.', buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000], registers });
    this.batchErrors = new Counter({ name: 'vigia_control_ingest_batch_errors_total', help: 'Ingest batches the database refused (every report in them was answered 503).', registers });
    // Read at scrape time (also for the --workers aggregation, which asks every worker's registry).
    const queued = (): number => this.queuedSource();
    this.queueLength = new Gauge({
      name: 'vigia_control_ingest_queue_reports', help: 'Reports waiting for a batch.', registers,
      collect() {
        this.set(queued());
      },
    });
    this.httpRequests = new Counter({ name: 'vigia_control_http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['route', 'status'], registers });
    this.httpSeconds = new Histogram({ name: 'vigia_control_http_request_duration_seconds', help: 'HTTP request duration by route.', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers });
    this.hosts = new Gauge({ name: 'vigia_control_hosts', help: 'Enrolled hosts by freshness (fresh, stale, never reported), refreshed every minute.', labelNames: ['state'], registers });
    this.reportRuns = new Counter({ name: 'vigia_control_report_runs_total', help: 'Scheduled report runs (built and mailed), by report and outcome.', labelNames: ['report', 'outcome'], registers });
    this.reportLastSuccess = new Gauge({ name: 'vigia_control_report_last_success_timestamp_seconds', help: 'When each scheduled report was last mailed successfully.', labelNames: ['report'], registers });
    this.pulls = new Counter({ name: 'vigia_control_pulls_total', help: 'Pulls of agents and node_exporters, by kind and outcome.', labelNames: ['kind', 'outcome'], registers });
    this.partitionsDropped = new Counter({ name: 'vigia_control_partitions_dropped_total', help: 'History partitions dropped by retention.', registers });
    this.leader = new Gauge({ name: 'vigia_control_leader', help: 'Whether this process leads (fleet changes, schedules, pulls); summed over --workers it is the number of leaders, which should be 1.', registers });
  }
}
