/**
 * A small client for ClickHouse's HTTP interface (node:http/https, no client library: @clickhouse/client
 * needs server 24.8+ and pulls in more than the four calls the log store makes). It speaks only documented
 * HTTP semantics: POST / with the statement in the body (or, for INSERT, in `query=` with the data in the
 * body, gzip), `database=`, `default_format=JSONEachRow`, `param_<name>` for every value, credentials in
 * X-ClickHouse-User/X-ClickHouse-Key, and `max_execution_time` so the server stops what the client gave up
 * on. Every call has a deadline and a cap on the answer's size; every failure is a catalogued error naming
 * the server (never its password).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { VigiaError } from '../../core/errors.js';
import { escapeParam, type Row, type SqlParams } from './clickhouse-sql.js';

const gzipAsync = promisify(gzip);

/** Where and how to reach one ClickHouse HTTP endpoint (a server, or the HAProxy in front of a cluster). */
export interface ClickHouseEndpoint {
  /** `http(s)://host:port` with no credentials, path or query. */
  readonly origin: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Deadline of one call, ms (also sent as max_execution_time, rounded up to seconds). */
  readonly timeoutMs: number;
  /** Largest answer accepted, bytes. */
  readonly maxAnswerBytes: number;
  /** Sockets kept per endpoint (concurrent calls beyond it wait for one). */
  readonly maxSockets: number;
}

/** The four calls the log store makes. */
export interface ClickHouseHttp {
  /** The server as messages name it: `host:port`. */
  readonly server: string;
  /** Runs a SELECT and answers its rows. */
  rows(sql: string, params?: SqlParams): Promise<Row[]>;
  /** Runs a statement that answers nothing (DDL, ALTER, DELETE). */
  exec(sql: string, params?: SqlParams, settings?: Readonly<Record<string, string>>): Promise<void>;
  /** INSERT INTO `table` (columns) FORMAT JSONCompactEachRow with `data` (one JSON array per line), gzip. */
  insert(table: string, columns: readonly string[], data: string): Promise<void>;
  /** Closes idle sockets. */
  close(): void;
}

/** ClickHouse codes meaning the credentials were refused (REQUIRED_PASSWORD, UNKNOWN_USER, AUTHENTICATION_FAILED). */
const AUTH_CODES = new Set([194, 192, 516]);

/** Opens a client (no I/O until the first call). */
export function clickHouseHttp(endpoint: ClickHouseEndpoint): ClickHouseHttp {
  const origin = new URL(endpoint.origin);
  const tls = origin.protocol === 'https:';
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: endpoint.maxSockets })
    : new HttpAgent({ keepAlive: true, maxSockets: endpoint.maxSockets });
  const server = origin.host;
  const seconds = String(Math.max(1, Math.ceil(endpoint.timeoutMs / 1000)));

  const call = (search: URLSearchParams, body: Buffer, gzipped: boolean): Promise<string> => {
    search.set('database', endpoint.database);
    search.set('max_execution_time', seconds);
    const headers: Record<string, string | number> = {
      'X-ClickHouse-User': endpoint.user,
      'Content-Type': 'text/plain; charset=UTF-8',
      'Content-Length': body.length,
    };
    // An empty key is how a password-less user (a fresh server's `default`) logs in; sending it is harmless.
    if (endpoint.password !== '') headers['X-ClickHouse-Key'] = endpoint.password;
    if (gzipped) headers['Content-Encoding'] = 'gzip';
    return new Promise((resolve, reject) => {
      const req = (tls ? httpsRequest : httpRequest)({
        protocol: origin.protocol, hostname: origin.hostname, port: origin.port || (tls ? 443 : 80),
        method: 'POST', path: `/?${search.toString()}`, headers, agent, timeout: endpoint.timeoutMs,
      }, (res) => void readAnswer(res).then(resolve, reject));
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })), endpoint.timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('timeout', () => req.destroy(Object.assign(new Error('socket idle too long'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        reject(err instanceof VigiaError ? err : new VigiaError('LOGS_ERR_CLICKHOUSE_UNREACHABLE', `${server}: ${err.code ?? err.message}`, { cause: err }));
      });
      req.end(body);
    });
  };

  const readAnswer = (res: IncomingMessage): Promise<string> => new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > endpoint.maxAnswerBytes) {
        res.destroy();
        reject(new VigiaError('LOGS_ERR_CLICKHOUSE_ANSWER', `${server}: answer larger than ${endpoint.maxAnswerBytes} bytes`));
      } else chunks.push(c);
    });
    res.on('error', (err) => reject(new VigiaError('LOGS_ERR_CLICKHOUSE_UNREACHABLE', `${server}: answer cut: ${err.message}`, { cause: err })));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (res.statusCode === 200) return resolve(text);
      const code = Number(res.headers['x-clickhouse-exception-code'] ?? /^Code: (\d+)/.exec(text)?.[1] ?? 0);
      // ClickHouse's own line, cut: it names the code and what failed, never our credentials.
      const said = text.trim().split('\n')[0]!.slice(0, 400) || `HTTP ${res.statusCode}`;
      reject(new VigiaError(AUTH_CODES.has(code) ? 'LOGS_ERR_CLICKHOUSE_AUTH' : 'LOGS_ERR_CLICKHOUSE_QUERY', `${server}: ${said}`));
    });
  });

  const withParams = (params: SqlParams | undefined): URLSearchParams => {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {})) search.set(`param_${k}`, escapeParam(v));
    return search;
  };

  return {
    server,
    rows: async (sql, params) => {
      const search = withParams(params);
      search.set('default_format', 'JSONEachRow');
      const text = await call(search, Buffer.from(sql, 'utf8'), false);
      const rows: Row[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          rows.push(JSON.parse(line) as Row);
        } catch {
          throw new VigiaError('LOGS_ERR_CLICKHOUSE_ANSWER', `${server}: not JSONEachRow: ${JSON.stringify(line.slice(0, 80))}`);
        }
      }
      return rows;
    },
    exec: async (sql, params, settings) => {
      const search = withParams(params);
      for (const [k, v] of Object.entries(settings ?? {})) search.set(k, v);
      await call(search, Buffer.from(sql, 'utf8'), false);
    },
    insert: async (table, columns, data) => {
      const search = new URLSearchParams();
      search.set('query', `INSERT INTO ${table} (${columns.join(', ')}) FORMAT JSONCompactEachRow`);
      await call(search, await gzipAsync(Buffer.from(data, 'utf8'), { level: 1 }), true);
    },
    close: () => agent.destroy(),
  };
}
