/**
 * Syslog messages into the store: each MSG is one access-log line in `--syslog-log-format`, filed under
 * the syslog HOSTNAME (the sender's address when the message names none). Records are gathered for
 * up to `flushMs` or `maxBatch` lines and submitted to the ingest queue together. Syslog cannot be told
 * to wait: when the queue is full the gathered lines are lost and counted (refused, LOGS_ERR_OVERLOADED),
 * as are lines of a failed insert (refused, with the store's error code).
 */
import { isVigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { LineParser, ParseFailure } from '../parse/line-parser.js';
import type { AccessRecord } from '../record.js';
import type { SyslogSink } from '../syslog/syslog-receiver.js';
import type { LogQueue } from './log-queue.js';

/** What the syslog path reports (metrics). */
export interface SyslogIngestEvents {
  readonly onMessage: (transport: 'udp' | 'tcp', outcome: string) => void;
  readonly onRejected: (reason: ParseFailure, line: string, server: string) => void;
  readonly onStored: (lines: number) => void;
  readonly onRefused: (code: string, lines: number) => void;
}

/** A SyslogSink feeding the queue, with `flush()` for shutdown. */
export interface SyslogIngest extends SyslogSink {
  /** Submit what is gathered now and wait for it (shutdown). */
  flush(): Promise<void>;
}

/** Build the sink; see the file comment. */
export function createSyslogIngest(parser: LineParser, queue: LogQueue, events: SyslogIngestEvents, log: Logger, opts: { anonymise?: (ip: string) => string; flushMs?: number; maxBatch?: number } = {}): SyslogIngest {
  const flushMs = opts.flushMs ?? 250;
  const maxBatch = opts.maxBatch ?? 5000;
  let gathered: AccessRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  const submit = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const records = gathered;
    gathered = [];
    if (records.length === 0) return;
    let p: Promise<void>;
    try {
      p = queue.submit(records);
    } catch (err) {
      events.onRefused(isVigiaError(err) ? err.code : 'VIGIA_ERR_INTERNAL', records.length);
      return;
    }
    const done = p.then(
      () => events.onStored(records.length),
      (err: unknown) => {
        log.error({ err, lines: records.length }, 'syslog lines lost: the store refused their insert');
        events.onRefused(isVigiaError(err) ? err.code : 'VIGIA_ERR_INTERNAL', records.length);
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };
  return {
    message(msg, peer, transport) {
      events.onMessage(transport, 'ok');
      const server = msg.hostname || peer;
      const r = parser.parse(msg.msg, server);
      if (typeof r === 'string') return events.onRejected(r, msg.msg, server);
      gathered.push(opts.anonymise ? { ...r, client: opts.anonymise(r.client) } : r);
      if (gathered.length >= maxBatch) submit();
      else timer ??= setTimeout(submit, flushMs);
    },
    failure(reason, transport) {
      events.onMessage(transport, reason);
    },
    async flush() {
      submit();
      await Promise.all([...inFlight]);
    },
  };
}
