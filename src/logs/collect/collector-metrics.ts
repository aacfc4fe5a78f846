/**
 * Every metric of the log collector (`vigia logs serve`), defined in one place on an injected registry
 * (docs/logs.md lists them). Lines are counted where they enter (received: HTTP and syslog), where they
 * end (stored, rejected by reason, refused with their batch), and what the shippers said they dropped, so
 * received = stored + rejected + refused, and lines written on the web servers = received + dropped
 * (+ lines still spooled) can be checked from /metrics alone.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The collector's metrics. */
export class CollectorMetrics {
  readonly received: Counter<'via'>;
  readonly stored: Counter;
  readonly rejected: Counter<'reason'>;
  readonly refused: Counter<'code'>;
  readonly duplicates: Counter;
  readonly shipperDropped: Counter;
  readonly syslogMessages: Counter<'transport' | 'outcome'>;
  readonly insertSeconds: Histogram;
  readonly insertLines: Histogram;
  readonly insertErrors: Counter;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly httpSeconds: Histogram<'route'>;
  readonly expired: Counter;

  /** `queueDepth` is read at scrape time. */
  constructor(registry: Registry, queueDepth: () => number) {
    const registers = [registry];
    this.received = new Counter({ name: 'vigia_logs_lines_received_total', help: 'Log lines received, by way in (http: shipper batches; syslog).', labelNames: ['via'], registers });
    this.stored = new Counter({ name: 'vigia_logs_lines_stored_total', help: 'Log lines parsed and stored.', registers });
    this.rejected = new Counter({ name: 'vigia_logs_lines_rejected_total', help: 'Log lines that did not parse, by reason (the parser\'s ParseFailure, or the syslog framing\'s).', labelNames: ['reason'], registers });
    this.refused = new Counter({ name: 'vigia_logs_lines_refused_total', help: 'Log lines of batches refused whole, by error code (the shipper keeps and resends them; syslog lines are lost).', labelNames: ['code'], registers });
    this.duplicates = new Counter({ name: 'vigia_logs_duplicates_total', help: 'Lines stored again: same source, byte range already stored (a shipper resent a batch whose answer it lost).', registers });
    this.shipperDropped = new Counter({ name: 'vigia_logs_shipper_dropped_total', help: 'Lines shippers reported dropping (spool full, pipe overflow), summed over shippers from their cumulative X-Vigia-Log-Dropped.', registers });
    this.syslogMessages = new Counter({ name: 'vigia_logs_syslog_messages_total', help: 'Syslog messages received, by transport and outcome (ok, or why it was not syslog).', labelNames: ['transport', 'outcome'], registers });
    this.insertSeconds = new Histogram({ name: 'vigia_logs_batch_seconds', help: 'Time to store one insert (many shipper batches).', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.insertLines = new Histogram({ name: 'vigia_logs_batch_lines', help: 'Lines per insert.', buckets: [10, 100, 1000, 5000, 10_000, 25_000, 50_000, 100_000], registers });
    this.insertErrors = new Counter({ name: 'vigia_logs_batch_errors_total', help: 'Inserts the store refused (every batch in them was answered 503 and will be resent).', registers });
    this.httpRequests = new Counter({ name: 'vigia_logs_http_requests_total', help: 'HTTP requests answered, by route and status.', labelNames: ['route', 'status'], registers });
    this.httpSeconds = new Histogram({ name: 'vigia_logs_http_request_duration_seconds', help: 'HTTP request duration by route.', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5], registers });
    this.expired = new Counter({ name: 'vigia_logs_expired_lines_total', help: 'Lines removed by retention (an estimate where the engine drops whole partitions).', registers });
    new Gauge({
      name: 'vigia_logs_queue_depth', help: 'Lines waiting for the store or being inserted.', registers,
      collect() {
        this.set(queueDepth());
      },
    });
  }
}
