/**
 * A stand-in collector for shipper tests: node:http implementing the receiving side of src/logs/wire.ts
 * (bearer token, gzip body, X-Vigia-Log-* headers, LinesAccepted answers with duplicates counted by
 * source and overlapping offsets). It records every batch and can be told to answer an error status
 * (with Retry-After), to hang, or to go away and come back on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { LINES_HEADERS, LINES_PATH } from '../../src/logs/wire.js';

/** One batch as received. */
export interface ReceivedBatch {
  readonly at: number;
  readonly source: string;
  readonly format: string;
  readonly start: number;
  readonly end: number;
  readonly dropped: number;
  readonly lines: string[];
  readonly duplicates: number;
}

/** How the receiver answers the next requests. */
export type ReceiverMode = { kind: 'ok' } | { kind: 'status'; status: number; retryAfter?: string } | { kind: 'hang' };

/** A running receiver. */
export interface LogsReceiver {
  readonly url: string;
  readonly port: number;
  readonly batches: ReceivedBatch[];
  /** Requests refused (by mode), with their time. */
  readonly refused: number[];
  mode: ReceiverMode;
  /** Lines stored (every line of every accepted batch, duplicates included). */
  lines(): string[];
  /** Highest X-Vigia-Log-Dropped per shipper id. */
  dropped(): number;
  /** Stop listening (connections cut); `start()` again listens on the same port. */
  goAway(): Promise<void>;
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

/** Start a receiver on a free loopback port that accepts `token`. */
export async function startLogsReceiver(token: string): Promise<LogsReceiver> {
  const batches: ReceivedBatch[] = [];
  const refused: number[] = [];
  const hanging: ServerResponse[] = [];
  const seen = new Map<string, [number, number][]>();
  const droppedBy = new Map<string, number>();
  let server: Server | undefined;
  let port = 0;
  const r: LogsReceiver = {
    url: '',
    port: 0,
    batches,
    refused,
    mode: { kind: 'ok' },
    lines: () => batches.flatMap((b) => b.lines),
    dropped: () => [...droppedBy.values()].reduce((a, b) => a + b, 0),
    goAway: async () => {
      const s = server;
      server = undefined;
      for (const res of hanging.splice(0)) res.destroy();
      await new Promise<void>((res) => {
        s?.close(() => res());
        s?.closeAllConnections();
      });
    },
    comeBack: async () => {
      await listen();
    },
    close: async () => {
      await r.goAway();
    },
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== LINES_PATH) return void res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"VIGIA_ERR_UNAUTHORIZED"}}');
      const mode = r.mode;
      if (mode.kind === 'hang') {
        hanging.push(res);
        return;
      }
      if (mode.kind === 'status') {
        refused.push(Date.now());
        return void res.writeHead(mode.status, { 'content-type': 'application/json', ...(mode.retryAfter ? { 'retry-after': mode.retryAfter } : {}) }).end('{"error":{"code":"TEST"}}');
      }
      const h = (k: keyof typeof LINES_HEADERS): string => String(req.headers[LINES_HEADERS[k]] ?? '');
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(Buffer.concat(chunks)) : Buffer.concat(chunks);
      const text = body.toString('utf8');
      const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
      if (String(lines.length) !== h('lines') || (text !== '' && !text.endsWith('\n'))) return void res.writeHead(400).end('{"error":{"code":"LOGS_ERR_BAD_BATCH"}}');
      const [start, end] = h('offset').split('-').map(Number) as [number, number];
      const source = h('source');
      const ranges = seen.get(source) ?? [];
      // A line is a duplicate when its own byte range was in an earlier batch of the source (a re-sent
      // batch may overlap only partly). Exact for uncut lines, which is all these tests send twice.
      let duplicates = 0;
      let at = start;
      for (const l of lines) {
        const next = at + Buffer.byteLength(l) + 1;
        if (ranges.some(([s, e]) => at >= s && next <= e)) duplicates++;
        at = next;
      }
      ranges.push([start, end]);
      seen.set(source, ranges);
      const shipper = source.slice(0, source.indexOf(':'));
      droppedBy.set(shipper, Math.max(droppedBy.get(shipper) ?? 0, Number(h('dropped'))));
      batches.push({ at: Date.now(), source, format: h('format'), start, end, dropped: Number(h('dropped')), lines, duplicates });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: lines.length, rejected: 0, duplicates }));
    });
  };
  const listen = async (): Promise<void> => {
    const s = createServer(handle);
    await new Promise<void>((res, rej) => {
      s.once('error', rej);
      s.listen(port, '127.0.0.1', () => res());
    });
    const a = s.address();
    port = typeof a === 'object' && a ? a.port : 0;
    server = s;
  };
  await listen();
  Object.assign(r, { url: `http://127.0.0.1:${port}`, port });
  return r;
}
