/**
 * The console's units and what they get. A page, a POST action and an SSE stream are each one
 * file exporting one of these interfaces, listed in registry.ts; mount.ts turns them into routes on
 * the control plane's pipeline and wraps every one with the session, scope, CSRF and header rules,
 * so a unit only reads data and returns escaped HTML.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { RateLimitOptions } from '../../core/rate-limit.js';
import type { CapacityReport } from '../reports/capacity.js';
import type { PerformanceReport } from '../reports/performance.js';
import type { ConsoleAssets } from './assets.js';
import type { ConsoleData } from './console-data.js';
import type { ConsoleFleet } from './console-fleet.js';
import type { SessionTimes } from './session.js';
import type { SessionStore } from './session-store.js';
import type { LogsSource } from './logs-client.js';
import type { SloSource } from './slo-source.js';

/** What the console reads and how its sessions behave; run.ts wires the real ones, tests their own. */
export interface ConsoleDeps {
  readonly sessions: SessionStore;
  readonly data: ConsoleData;
  /** The capacity report value (the report service's, cached there). */
  readonly capacity: () => Promise<CapacityReport>;
  /** The performance report value of one UTC day (YYYY-MM-DD). */
  readonly performance: (day: string) => Promise<PerformanceReport>;
  readonly assets: ConsoleAssets;
  /** Idle and absolute session expiry (default session.ts DEFAULT_SESSION_TIMES). */
  readonly times?: SessionTimes;
  /** Login attempts (form and links) per client address (default 10 at once, then one per 10 s). */
  readonly loginRateLimit?: RateLimitOptions;
  /** A host is stale after this many of its intervals without a report (the report policy's). */
  readonly staleAfterIntervals?: number;
  /** Wall clock of sessions and pages (default the control server's `now`). */
  readonly now?: Clock;
  /** The log collector the logs page asks (`--logs-server`); absent: the page says how to connect one. */
  readonly logs?: LogsSource;
  /** The SLO report of the SLO page (`--slo-spec`); absent: the page says how to configure one. */
  readonly slo?: SloSource;
  /**
   * Rollouts and fleet runs (the control plane's own services; absent with --no-fleet). Default: the
   * control server's `fleet` (server.ts FleetApi satisfies ConsoleFleet).
   */
  readonly fleet?: ConsoleFleet;
  /** The units served (default registry.ts); tests add their own. */
  readonly units?: { readonly pages: readonly ConsolePage[]; readonly actions: readonly ConsoleAction[]; readonly streams: readonly ConsoleStream[] };
}

/** The logged-in user of a request. */
export interface ConsoleSession {
  /** The operator token's (or login link's) name. */
  readonly name: string;
  readonly scopes: readonly string[];
  /** The CSRF token every state-changing form and htmx request of this session must carry. */
  readonly csrf: string;
}

/** What a page's render gets. */
export interface PageContext {
  readonly deps: ConsoleDeps;
  readonly session: ConsoleSession;
  /** The path pattern's capture groups, percent-decoded. */
  readonly params: readonly string[];
  /** The query string (a repeated key is an array). */
  readonly query: Readonly<Record<string, string | string[]>>;
  readonly now: Date;
  /** Whether the session holds `scope`: render a button only when it does (the route checks again). */
  can(scope: string): boolean;
  /** True when htmx asked (HX-Request): a page may answer its `fragment` instead of a whole page. */
  readonly htmx: boolean;
  readonly req: IncomingMessage;
}

/** A rendered page: escaped HTML for the layout's main area. */
export interface PageResult {
  /** The page title (plain text; the layout escapes it). */
  readonly title: string;
  /** HTML inside <main>. */
  readonly body: string;
  /** Sent alone, without the layout, when htmx asked for it (e.g. a chart loaded on demand). */
  readonly fragment?: string;
  /** Default 200. */
  readonly status?: number;
}

/** One page: a GET route under /ui/ rendered inside the layout. */
export interface ConsolePage {
  /** Route name for metrics (e.g. `/ui/hosts/:name`). */
  readonly name: string;
  /** Anchored pattern on the decoded path; capture groups become `params`. */
  readonly path: RegExp;
  /** The nav entry this page belongs to (layout.ts NAV `id`), highlighted while it shows. */
  readonly nav: string;
  /** Scope needed to see it (default `read`). */
  readonly scope?: string;
  /** Served by the leader process only (`--workers`): a follower forwards it (the rollout and run services live there). */
  readonly leader?: boolean;
  render(ctx: PageContext): Promise<PageResult>;
}

/** What an action's handler gets: the page context plus the posted form (CSRF already checked). */
export interface ActionContext extends PageContext {
  /** The urlencoded body (at most `maxBodyBytes`); `_csrf` removed. */
  readonly form: URLSearchParams;
}

/**
 * After an action: send the browser to a page (303), answer an HTML fragment (htmx swaps it in), or
 * answer a whole page in the layout (a plain form's next step, e.g. a preview to confirm).
 */
export type ActionResult = { readonly redirect: string } | { readonly fragment: string } | { readonly page: PageResult; readonly nav: string };

/** One state-changing action: a POST route under /ui/, behind a scope and the CSRF check. */
export interface ConsoleAction {
  readonly name: string;
  readonly path: RegExp;
  /** The scope it needs (`admin`, `run`): the pipeline refuses others with 403 before the handler. */
  readonly scope: string;
  /** Most body bytes (default 16 KiB). */
  readonly maxBodyBytes?: number;
  /** Served by the leader process only (see ConsolePage.leader). */
  readonly leader?: boolean;
  handle(ctx: ActionContext): Promise<ActionResult>;
}

/** Where a stream writes its events. */
export interface EventSink {
  /** Send one event (`data` may span lines); false once the client is gone. */
  send(event: string, data: string): boolean;
  /** Aborted when the client leaves, the server drains, or the stream's time is up. */
  readonly signal: AbortSignal;
}

/** One server-sent-events stream: a GET route under /ui/ answering text/event-stream. */
export interface ConsoleStream {
  readonly name: string;
  readonly path: RegExp;
  /** Default `read`. */
  readonly scope?: string;
  /** Served by the leader process only (see ConsolePage.leader). */
  readonly leader?: boolean;
  /** Write events until `sink.signal` aborts (then resolve); the mount closes the answer. */
  open(ctx: PageContext, sink: EventSink): Promise<void>;
}
