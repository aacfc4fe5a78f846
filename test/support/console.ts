/**
 * A control plane with its web console on a free loopback port, over the file's shared PGlite
 * (test/support/pglite.ts), with a clock the test moves and two operator tokens (`ops`: admin, run;
 * `viewer`: read). For the console's tests and the pages added on top of it.
 */
import { hashToken, newToken, parseTokenEntries } from '../../src/core/auth.js';
import { pino } from 'pino';
import { createControlServer, DEFAULT_CONTROL_LIMITS, type ControlServer, type FleetApi } from '../../src/control/server.js';
import { HostAuth } from '../../src/control/host-auth.js';
import { IngestQueue } from '../../src/control/ingest-queue.js';
import { loadConsoleAssets } from '../../src/control/console/assets.js';
import { ConsoleData } from '../../src/control/console/console-data.js';
import { SessionStore } from '../../src/control/console/session-store.js';
import type { ConsoleDeps } from '../../src/control/console/page.js';
import { buildCapacityReport } from '../../src/control/reports/capacity.js';
import { buildPerformanceReport } from '../../src/control/reports/performance.js';
import { defaultReportPolicy } from '../../src/control/reports/policy.js';
import { freshPgliteStore, type PgliteWorld } from './pglite.js';

/** A running console and what a test drives it with. */
export interface ConsoleWorld extends PgliteWorld {
  readonly base: string;
  readonly server: ControlServer;
  readonly adminToken: string;
  readonly readToken: string;
  /** The clock of sessions and reports; tests move it. */
  readonly clock: { now: number };
  readonly ingest: IngestQueue;
  close(): Promise<void>;
}

/** An answer, with the body read. */
export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

/**
 * Start a control server with the console over a fresh schema; `extra` overrides console deps (units,
 * times). `fleet`, when given, builds the fleet services (rollouts, runs) on the world's store: the
 * server then serves them to the operator API, the agent API and the console, as `vigia server` does.
 */
export async function startConsoleWorld(extra: Partial<ConsoleDeps> = {}, start = Date.parse('2026-12-01T07:00:00Z'), fleet?: (world: PgliteWorld, now: () => number) => Promise<FleetApi>): Promise<ConsoleWorld> {
  const world = await freshPgliteStore();
  const clock = { now: start };
  const now = () => clock.now;
  const fleetApi = fleet ? await fleet(world, now) : undefined;
  const adminToken = newToken();
  const readToken = newToken();
  const tokens = parseTokenEntries(`${hashToken(adminToken)} scopes=admin,run name=ops\n${hashToken(readToken)} name=viewer\n`);
  const ingest = new IngestQueue(world.store, { maxWaitMs: 5 });
  const policy = defaultReportPolicy();
  const console: ConsoleDeps = {
    sessions: new SessionStore(world.handle),
    data: new ConsoleData(world.handle),
    capacity: async () => buildCapacityReport(await world.store.capacityData(new Date(clock.now), policy.trendWindowDays), policy, new Date(clock.now)),
    performance: async (day) => buildPerformanceReport(await world.store.performanceData(day), { policy, now: new Date(clock.now) }),
    assets: await loadConsoleAssets(),
    now,
    // Tests sign in dozens of times from one address; the limit itself has its own test.
    loginRateLimit: { perSecond: 1000, burst: 1000 },
    ...extra,
  };
  const server = createControlServer({
    operatorTokens: tokens,
    hostAuth: new HostAuth(world.store),
    store: world.store,
    ingest: (item) => ingest.submit(item),
    capacityReport: async () => ({ contentType: 'text/plain', body: '' }),
    performanceReport: async () => ({ contentType: 'text/plain', body: '' }),
    metrics: async () => '',
    limits: { ...DEFAULT_CONTROL_LIMITS, rateLimit: { perSecond: 1000, burst: 1000 } },
    log: pino({ level: 'silent' }),
    now,
    console,
    ...(fleetApi ? { fleet: fleetApi } : {}),
  });
  const address = await server.listen('127.0.0.1', 0);
  return {
    ...world, base: `http://127.0.0.1:${address.port}`, server, adminToken, readToken, clock, ingest,
    close: async () => {
      await server.close(100);
      await ingest.drained();
    },
  };
}

/** A request without following redirects. */
export async function request(world: ConsoleWorld, method: string, path: string, opts: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string>; token?: string; json?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(`${world.base}${path}`, { method, headers, body, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The `vigia_session=...` pair of an answer's Set-Cookie, for the next request's Cookie header. */
export function sessionPair(a: Answer): string {
  const m = /vigia_session=([^;]*)/.exec(a.headers.get('set-cookie') ?? '');
  if (!m) throw new Error(`no session cookie in ${a.status} answer`);
  return `vigia_session=${m[1]}`;
}

/** Sign in with an operator token through the form; answers the Cookie header value. */
export async function loginWithToken(world: ConsoleWorld, token: string, cookie?: string): Promise<string> {
  const a = await request(world, 'POST', '/ui/login', { form: { token }, ...(cookie ? { cookie } : {}) });
  if (a.status !== 303) throw new Error(`login answered ${a.status}: ${a.text.slice(0, 200)}`);
  return sessionPair(a);
}

/** The CSRF token a page embeds for its session (the logout form's `_csrf`). */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in the page');
  return m[1]!;
}
