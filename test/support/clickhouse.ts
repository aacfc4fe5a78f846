/**
 * A real ClickHouse engine behind ClickHouse's HTTP interface, for tests: the query engine is chdb
 * (in-process ClickHouse 26.x, npm `chdb`) on a data dir in a temp dir; this file is only the HTTP front
 * that a clickhouse-server would have, on a free loopback port. Debian's clickhouse-server is 18.16 (2018)
 * and ClickHouse's own packages cannot be reached here, so this is how the cluster engine's client meets
 * the real engine in the suite.
 *
 * Only ClickHouse's documented HTTP semantics, so a client that works here works against a server:
 * - `GET /ping` and `GET /` without a query answer `Ok.\n`.
 * - The query is the `query=` URL parameter, then a newline, then the POST body (either may be empty);
 *   `INSERT INTO t [(cols)] FORMAT F` followed by data takes the rest of that text as the data.
 * - `param_<name>` fills `{name:Type}` placeholders; values are in the escaped text form (`\t`, `\n`,
 *   `\\`, `\xHH`), as clickhouse-server reads them. They reach chdb as bound parameters, never as text.
 * - `database=`, `default_format=` (else TabSeparated), `query_id=`, `max_execution_time=` (seconds)
 *   and a few harmless settings; any other parameter is an unknown setting, refused as the server does.
 * - GET runs read-only queries only (READONLY otherwise), as on a server.
 * - `Content-Encoding: gzip|deflate|br` request bodies; X-ClickHouse-User/X-ClickHouse-Key, Basic auth or
 *   `user=`/`password=` parameters; wrong credentials are AUTHENTICATION_FAILED.
 * - Errors: `Code: N. DB::Exception: ... (NAME) (version V)` with X-ClickHouse-Exception-Code, status
 *   400/401/403/404 for the codes the server maps so, 500 otherwise.
 * Not here (our client does not use them): sessions, response compression, progress headers, external
 * data, formats other than JSONEachRow/JSONCompactEachRow/CSV/TSV for INSERT data.
 *
 * libchdb binds one data dir per process: one test ClickHouse per test process at a time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Session, type RawInsertFormat } from 'chdb';
import { freePort } from './ports.js';
import { tempDir } from './tmp.js';

/** A running test ClickHouse. */
export interface TestClickHouse {
  readonly port: number;
  /** `http://127.0.0.1:PORT` (no credentials). */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly dir: string;
  /** Every request's method, URL search parameters and request headers, in arrival order (for protocol assertions). */
  readonly requests: readonly { method: string; params: URLSearchParams; headers: IncomingMessage['headers'] }[];
  /** Run SQL directly on the engine (test setup and checks only), JSONEachRow rows back. */
  sql<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** Stop listening, close the engine and remove its dir. */
  stop(): Promise<void>;
}

/** Options for a test ClickHouse. */
export interface TestClickHouseOptions {
  /** User the server accepts (default `default`). */
  readonly user?: string;
  /** That user's password (default empty: no password, as a fresh server's `default` user). */
  readonly password?: string;
  /** Largest accepted request body after decompression (default 256 MiB). */
  readonly maxBodyBytes?: number;
}

const VERSION = '26.x (chdb, vigia test front)';
/** Settings accepted as URL parameters and not applied, because chdb has no per-query hook for them and they change no result our client reads. */
const HARMLESS_SETTINGS = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'output_format_json_quote_64bit_integers', 'date_time_output_format', 'max_result_bytes', 'max_result_rows', 'result_overflow_mode', 'mutations_sync', 'lightweight_deletes_sync', 'insert_deduplicate', 'async_insert', 'wait_for_async_insert', 'http_headers_progress_interval_ms']);
const META_PARAMS = new Set(['query', 'database', 'default_format', 'query_id', 'user', 'password', 'max_execution_time']);
const INSERT_FORMATS: ReadonlyMap<string, RawInsertFormat> = new Map([['jsoneachrow', 'JSONEachRow'], ['jsoncompacteachrow', 'JSONCompactEachRow'], ['csv', 'CSV'], ['tsv', 'TSV'], ['tabseparated', 'TabSeparated']]);
/** INSERT INTO [TABLE] db.t [(cols)] FORMAT F, then the data. */
const INSERT_RE = /^\s*INSERT\s+INTO\s+(?:TABLE\s+)?([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)?)\s*(?:\(([^)]*)\))?\s*FORMAT\s+(\w+)[ \t]*\r?\n?/i;
const READ_ONLY_RE = /^\s*(SELECT|WITH|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN)\b/i;
/** ClickHouse's own mapping of exception codes to HTTP statuses (HTTPHandler), for the codes a client meets. */
const HTTP_STATUS: ReadonlyMap<number, number> = new Map([
  [62, 400], [27, 400], [26, 400], [38, 400], [72, 400], [73, 400], [115, 400], [456, 400], [457, 400], [47, 400], [46, 400], [43, 400], [36, 400],
  [194, 401], [516, 403], [192, 403], [164, 403], [497, 403],
  [60, 404], [81, 404],
]);

class ClickHouseException extends Error {
  constructor(readonly code: number, readonly codeName: string, detail: string) {
    super(`Code: ${code}. DB::Exception: ${detail}. (${codeName}) (version ${VERSION})`);
  }
}

/**
 * Reads a parameter value in ClickHouse's escaped text form (readEscapedString): `\b \f \n \r \t \0 \a \v`,
 * `\xHH`, and `\c` for any other c. Exported for the client's escape test.
 */
export function unescapeParam(s: string): string {
  if (!s.includes('\\')) return s;
  const map: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '0': '\0', a: '\x07', v: '\v' };
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i === s.length - 1) { out += c; continue; }
    const n = s[++i]!;
    if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) { out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }
    else out += map[n] ?? n;
  }
  return out;
}

function exceptionOf(err: unknown): ClickHouseException {
  if (err instanceof ClickHouseException) return err;
  const text = String((err as Error)?.message ?? err).replace(/^Query failed: /, '');
  const m = /^Code: (\d+)\. DB::Exception: ([\s\S]*)\.? \(([A-Z][A-Z_0-9]*)\)(?: \(version [^)]*\))?\s*$/.exec(text);
  if (m) return new ClickHouseException(Number(m[1]), m[3]!, m[2]!);
  const code = Number((err as { clickhouseCode?: number })?.clickhouseCode ?? 1001);
  return new ClickHouseException(code, 'STD_EXCEPTION', text.split('\n')[0]!.slice(0, 500));
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const enc = String(req.headers['content-encoding'] ?? '').toLowerCase();
  let src: Readable = req;
  if (enc === 'gzip') src = req.pipe(createGunzip());
  else if (enc === 'deflate') src = req.pipe(createInflate());
  else if (enc === 'br') src = req.pipe(createBrotliDecompress());
  else if (enc !== '' && enc !== 'identity') return Promise.reject(new ClickHouseException(1001, 'STD_EXCEPTION', `Unknown HTTP content encoding: ${enc}`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    src.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        src.destroy();
        reject(new ClickHouseException(241, 'MEMORY_LIMIT_EXCEEDED', `Request body is larger than ${max} bytes`));
      } else chunks.push(c);
    });
    src.on('end', () => resolve(Buffer.concat(chunks)));
    src.on('error', (e) => reject(new ClickHouseException(354, 'CANNOT_DECOMPRESS', `Cannot decompress request body: ${e.message}`)));
  });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Start a test ClickHouse; resolves once it listens. */
export async function startClickHouse(options: TestClickHouseOptions = {}): Promise<TestClickHouse> {
  const user = options.user ?? 'default';
  const password = options.password ?? '';
  const maxBody = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const tmp = tempDir('vigia-clickhouse-');
  // A server quotes 64-bit integers in JSON output by default; the front keeps that default so clients meet it.
  const session = new Session(tmp.dir, { connectionArgs: ['--output_format_json_quote_64bit_integers=1'] });
  const requests: { method: string; params: URLSearchParams; headers: IncomingMessage['headers'] }[] = [];
  let currentDb = 'default';
  // One query at a time: `USE db` is session state, and chdb runs one session's work serially anyway.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  const useDb = async (db: string): Promise<void> => {
    if (db === currentDb) return;
    if (!/^[A-Za-z_][\w]*$/.test(db)) throw new ClickHouseException(81, 'UNKNOWN_DATABASE', `Database ${db} does not exist`);
    await session.queryAsync(`USE ${db}`); // validated identifier: the name of a database, not a value
    currentDb = db;
  };

  const execute = async (req: IncomingMessage, params: URLSearchParams, body: Buffer): Promise<{ text: string | Buffer; format: string; summary: Record<string, string> }> => {
    const givenUser = String(req.headers['x-clickhouse-user'] ?? params.get('user') ?? basicUser(req) ?? 'default');
    const givenKey = String(req.headers['x-clickhouse-key'] ?? params.get('password') ?? basicPassword(req) ?? '');
    if (!sameSecret(givenUser, user) || !sameSecret(givenKey, password)) {
      throw new ClickHouseException(516, 'AUTHENTICATION_FAILED', `${givenUser}: Authentication failed: password is incorrect, or there is no user with such name`);
    }
    const bound: Record<string, string> = {};
    for (const [k, v] of params) {
      if (k.startsWith('param_')) bound[k.slice(6)] = unescapeParam(v);
      else if (!META_PARAMS.has(k) && !HARMLESS_SETTINGS.has(k)) {
        throw new ClickHouseException(115, 'UNKNOWN_SETTING', `Setting ${k} is neither a builtin setting nor started with the prefix 'custom_' registered for user-defined settings`);
      }
    }
    const maxSeconds = Number(params.get('max_execution_time') ?? 0);
    const timeout = maxSeconds > 0 ? maxSeconds * 1000 : undefined;
    const head = params.get('query') ?? '';
    const full = head === '' ? body.toString('utf8') : body.length === 0 ? head : `${head}\n${body.toString('utf8')}`;
    if (full.trim() === '') throw new ClickHouseException(62, 'SYNTAX_ERROR', 'Empty query');
    if (req.method === 'GET' && !READ_ONLY_RE.test(full)) throw new ClickHouseException(164, 'READONLY', 'Cannot execute query in readonly mode');
    const format = params.get('default_format') ?? 'TabSeparated';
    type Out = { text: string | Buffer; format: string; summary: Record<string, string> };
    return serial(async (): Promise<Out> => {
      await useDb(params.get('database') ?? 'default');
      const ins = INSERT_RE.exec(full);
      if (ins) {
        const fmt = INSERT_FORMATS.get(ins[3]!.toLowerCase());
        if (!fmt) throw new ClickHouseException(73, 'UNKNOWN_FORMAT', `Unknown input format ${ins[3]} (the vigia test front takes ${[...INSERT_FORMATS.values()].join(', ')})`);
        const data = Buffer.from(full.slice(ins[0].length), 'utf8');
        const columns = ins[2]?.split(',').map((c) => c.trim()).filter(Boolean);
        const table = ins[1]!.includes('.') ? ins[1]! : `${currentDb}.${ins[1]}`;
        const r = await session.insert({ table, values: data, format: fmt, ...(columns ? { columns } : {}), ...(timeout ? { timeout } : {}) });
        return { text: '', format, summary: { written_rows: String(r.rowsWritten), written_bytes: String(r.bytesWritten) } };
      }
      const r = Object.keys(bound).length > 0
        ? await session.queryBindAsync(full, bound, { format, ...(timeout ? { timeout } : {}) })
        : await session.queryAsync(full, { format, ...(timeout ? { timeout } : {}) });
      return { text: Buffer.from(r.bytes()), format, summary: { read_rows: String(r.rowsRead), read_bytes: String(r.bytesRead), elapsed_ns: String(Math.round(r.elapsed * 1e9)) } };
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const params = url.searchParams;
    requests.push({ method: req.method ?? '', params, headers: req.headers });
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !params.has('query'))) {
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    const queryId = params.get('query_id') ?? randomUUID();
    try {
      if (url.pathname !== '/') throw new ClickHouseException(1001, 'STD_EXCEPTION', `There is no handle ${url.pathname}`);
      if (req.method !== 'GET' && req.method !== 'POST') throw new ClickHouseException(1001, 'STD_EXCEPTION', `Unsupported HTTP method ${req.method}`);
      const body = await readBody(req, maxBody);
      const out = await execute(req, params, body);
      res.writeHead(200, {
        'content-type': contentType(out.format),
        'x-clickhouse-query-id': queryId,
        'x-clickhouse-format': out.format,
        'x-clickhouse-timezone': 'UTC',
        'x-clickhouse-summary': JSON.stringify(out.summary),
      }).end(out.text);
    } catch (err) {
      const e = exceptionOf(err);
      if (!res.headersSent) {
        res.writeHead(HTTP_STATUS.get(e.code) ?? 500, { 'content-type': 'text/plain; charset=UTF-8', 'x-clickhouse-exception-code': String(e.code), 'x-clickhouse-query-id': queryId });
      }
      res.end(`${e.message}\n`);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.requestTimeout = 120_000;
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    user,
    password,
    dir: tmp.dir,
    requests,
    sql: async <T>(query: string) => serial(async () => {
      const r = await session.queryAsync(query, { format: 'JSONEachRow' });
      return r.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
    }),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await chain.catch(() => undefined);
      session.close();
      tmp.remove();
    },
  };
}

function contentType(format: string): string {
  const f = format.toLowerCase();
  if (f === 'json' || f === 'jsoncompact') return 'application/json; charset=UTF-8';
  if (f.startsWith('json')) return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/tab-separated-values; charset=UTF-8';
}

function basicCredentials(req: IncomingMessage): [string, string] | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const s = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = s.indexOf(':');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
const basicUser = (req: IncomingMessage): string | undefined => basicCredentials(req)?.[0];
const basicPassword = (req: IncomingMessage): string | undefined => basicCredentials(req)?.[1];
