/**
 * One access-log entry as every part of `vigia logs` sees it: parsers produce it, the collector stores it,
 * every store engine answers questions about it. Missing values are empty strings and -1 (never
 * undefined), so a batch is a plain array of one shape (fast to build, fast to hand to a columnar engine).
 */
export interface AccessRecord {
  /** When the request was logged: ms since the epoch, UTC (the log's own offset applied). */
  readonly ts: number;
  /** The web server that logged it (the shipper's host name, or `--host` on import, or the syslog HOSTNAME). */
  readonly server: string;
  /** The client address as logged (IPv4 or IPv6 text), or its truncated/keyed-hash form (privacy.ts). */
  readonly client: string;
  /** HTTP method; '' when the request line is not a request (TLS probe, `"-"`, garbage). */
  readonly method: string;
  /** The request path without its query string; the raw request line when it is not a request. */
  readonly url: string;
  /** The query string without `?`; '' when none. */
  readonly query: string;
  /** e.g. `HTTP/1.1`; '' when absent. */
  readonly protocol: string;
  /** Final status (`%>s`, `$status`); 0 when logged as `-`. */
  readonly status: number;
  /** Response bytes (`%b`/`%O`, `$body_bytes_sent`); 0 for `-`. */
  readonly bytes: number;
  /** Referer header; '' for `-`. */
  readonly referrer: string;
  /** User-Agent header; '' for `-`. */
  readonly agent: string;
  /** Virtual host (`%v`, `$host`, vhost_combined's first field); '' when the format has none. */
  readonly vhost: string;
  /** Remote user (`%u`, `$remote_user`); '' for `-`. */
  readonly user: string;
  /** Time taken in ms (`%D`/1000, `%T`*1000, `$request_time`*1000); -1 when the format has none. */
  readonly durationMs: number;
}
