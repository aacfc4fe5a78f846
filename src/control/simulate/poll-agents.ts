/**
 * N simulated agents in one process, each with its own enrolled host token, each running the fleet
 * long-poll loop of the real agent (src/agent/bundle/fleet-client.ts) against a control plane:
 *
 *   GET /v1/agent/poll?release=R&sha256=S&wait=W   If-None-Match: the ETag of the last 200
 *   200 with a new desired release: verifyRelease (real ed25519), GET /v1/agent/bundles/<sha> (every
 *       host downloads, nothing is shared between hosts), sha256 of the bytes, POST
 *       /v1/agent/bundle-status installed, then one POST /v1/reports carrying check results for the
 *       release (what a real agent sends once its fresh checks ran; the rollout gate waits for it).
 *       Nothing is extracted to disk.
 *   200 with tasks: POST /v1/agent/tasks/:id/result succeeded at once.
 *   304: next poll after random() * jitterMs (the agent's jitter), or, with pollIntervalSeconds,
 *       at the host's next slot (a plain short poll: wait=0 every interval).
 *
 * All hosts share one keep-alive http.Agent (node:http, not fetch) whose pool holds one socket per
 * parked poll plus a few for downloads and posts: 10,000 hosts need ~10,000 file descriptors here and
 * on the server, not 20,000 (a per-host agent would open a second socket per host for its POSTs).
 *
 * Latency statistics (ms, from a log histogram within ~1 %), see PollStats:
 * - atOnce: response time of polls the server must answer without holding them (wait=0, or the
 *   first poll of a host, sent without If-None-Match);
 * - heldOvershoot: for a held poll answered 304, the time beyond the requested wait
 *   (elapsed - wait*1000, floored at 0): the cost of the hold itself (timer + answer + network);
 *   304s that came back well before the wait (a wake with nothing new for the host) are counted in
 *   `early304` instead;
 * - deliveries: when each host's poll brought it each new desired release (epoch ms), so a caller that
 *   knows when the change happened (a publish, a wave) can compute time-to-answer after a change.
 * Loops are bounded: they run until stop() (or the signal), and every request has a timeout.
 * What an answer means for a loop (counters, waits, backoff) is pure, in poll-agents-state.ts.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { pollResponseSchema, type AgentTask } from '../../core/contracts/agent-poll.js';
import { createPublicKey } from 'node:crypto';
import { ENVELOPE_FORMAT, keyId, MANIFEST_FILE, packArchive, signRelease, verifyRelease, type ReleaseEnvelope } from '../../core/contracts/bundle.js';
import { parseRetryAfter, retryDelay } from '../../core/backoff.js';
import { enrollHosts } from './enroll.js';
import { createFleetModel, type FleetModel } from './fleet-model.js';
import { LatencyHistogram } from './latency.js';
import { moveRunning, newCounters, pollAnswerStep, slotDelay, type PollCounters } from './poll-agents-state.js';
import type { LatencySummary } from './latency.js';

/** Options of enrollPollAgents. */
export interface PollAgentsOptions {
  /** Control-plane base URL, http: only (loopback benchmarks and tests). */
  readonly url: string;
  /** Operator token with scope admin (enrolment). */
  readonly adminToken: string;
  readonly hosts: number;
  /** Public keys (PEM) the simulated agents trust. */
  readonly trustedKeys: readonly string[];
  /** Host name prefix (default `sim`): names are `<prefix>-00001` ... */
  readonly prefix?: string;
  readonly seed?: number;
  /** Enrolments in flight at once when the server takes one host per request (default 8; bulk: 4 requests of 1000). */
  readonly enrollConcurrency?: number;
  /** After installing, send one host report with check results (default true; the rollout gate needs it). */
  readonly reportChecks?: boolean;
  /** Operator tags added to the model's (env, service, dc, simulated=true), e.g. to select these hosts apart. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly random?: () => number;
}

/** How the poll loops run (start()). */
export interface PollLoopOptions {
  /** Seconds the server may hold a poll (default 55, like agents); 0: a plain short poll. */
  readonly pollWaitSeconds?: number;
  /** After a 304, wait random() * jitterMs before the next poll (default 1000, like agents). */
  readonly jitterMs?: number;
  /**
   * Poll every this many seconds instead (each host at its own offset in the interval): the plain
   * short-poll design. 0 (default): poll again right after an answer (plus jitter), like the agent.
   */
  readonly pollIntervalSeconds?: number;
  /** Spread the hosts' first polls evenly over this many ms (default 0: all at once). */
  readonly startSpreadMs?: number;
}

/** Poll outcome counters and latencies since the last resetStats(). */
export interface PollStats extends PollCounters {
  atOnce: LatencySummary;
  heldOvershoot: LatencySummary;
  /** Polls parked at the server right now (sent with wait > 0 and not answered yet). */
  parked: number;
}

/** The simulated fleet. */
export interface PollAgents {
  /** Hosts enrolled (those that failed to enrol are left out). */
  readonly enrolled: number;
  readonly enrollErrors: Readonly<Record<string, number>>;
  /** Start every host's poll loop (throws if running). */
  start(options?: PollLoopOptions): void;
  /** Stop the loops: parked polls are cut, in-flight work settles; the hosts keep their state. */
  stopLoops(): Promise<void>;
  stats(): PollStats;
  resetStats(): void;
  /** Hosts that have completed their first poll since start(). */
  firstPollsDone(): number;
  /** How many hosts run release `n` (installed and reported). */
  running(n: number): number;
  /** Epoch ms at which each host's poll brought release `n` (one entry per host that got it). */
  deliveries(n: number): readonly number[];
  /** Stop loops and close every socket. */
  close(): Promise<void>;
}

interface HostState {
  readonly index: number;
  readonly name: string;
  readonly token: string;
  release: number;
  sha256: string;
  etag: string;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const POLL_SLACK_MS = 15_000;
const MAX_DOWNLOAD = 17 * 1024 * 1024;

/** Enrol `hosts` hosts through POST /v1/hosts/enroll; resolves once done, loops not started. */
export async function enrollPollAgents(o: PollAgentsOptions): Promise<PollAgents> {
  const base = new URL(o.url);
  if (base.protocol !== 'http:') throw new RangeError(`url must be http:, got ${base.protocol}`);
  if (!Number.isInteger(o.hosts) || o.hosts < 1 || o.hosts > 100_000) throw new RangeError(`hosts must be an integer from 1 to 100000, got ${o.hosts}`);
  const random = o.random ?? Math.random;
  const prefix = base.pathname.replace(/\/+$/, '');
  // One socket per parked poll plus room for downloads, status posts and results.
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.hosts + 512, maxFreeSockets: o.hosts + 512, scheduling: 'lifo' });
  const model: FleetModel = createFleetModel({ hosts: o.hosts, seed: o.seed ?? 1, dyingFraction: 0, prefix: o.prefix, anchorMs: Date.now() });
  const reportChecks = o.reportChecks ?? true;

  const request = (method: 'GET' | 'POST', path: string, token: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000, onReq?: (r: http.ClientRequest) => void): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          hostname: base.hostname, port: base.port || undefined, path: prefix + path, method, agent, timeout: timeoutMs,
          headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_DOWNLOAD) req.destroy(new Error('answer too large'));
            else chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      onReq?.(req);
      req.end(payload);
    });

  /** A POST tried again on 429/503 after Retry-After plus jitter (5 tries), as every Vigía client does. */
  const post = async (path: string, token: string, body: unknown): Promise<Answer> => {
    for (let attempt = 1; ; attempt++) {
      const a = await request('POST', path, token, body);
      if ((a.status !== 429 && a.status !== 503) || attempt >= 5) return a;
      const ra = a.headers['retry-after'];
      await sleep(retryDelay(attempt, parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, Date.now()), random(), 200, 30_000));
    }
  };

  // Enrolment: bulk, with retries on 429/503 (enroll.ts).
  const hosts: HostState[] = [];
  const enrolment = await enrollHosts({
    post: async (path, payload) => {
      const a = await request('POST', path, o.adminToken, payload);
      const ra = a.headers['retry-after'];
      return { status: a.status, body: a.body.toString('utf8'), retryAfterMs: parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, Date.now()) };
    },
    hosts: Array.from({ length: o.hosts }, (_, i) => ({ host: model.hostName(i), tags: { ...model.profile(i).tags, ...o.tags } })),
    ...(o.enrollConcurrency === undefined ? {} : { singleConcurrency: o.enrollConcurrency }),
    random,
  });
  const enrollErrors = enrolment.errors;
  enrolment.tokens.forEach((token, i) => {
    if (token !== undefined) hosts.push({ index: i, name: model.hostName(i), token, release: 0, sha256: '', etag: '' });
  });
  hosts.sort((a, b) => a.index - b.index);

  // Statistics.
  let atOnce = new LatencyHistogram();
  let overshoot = new LatencyHistogram();
  let counters = newCounters();
  const delivered = new Map<number, number[]>();
  let runningCount = new Map<number, number>();
  let parked = 0;
  let firstDone = 0;

  // Loops.
  let running = false;
  let stopping = false;
  let loops: Promise<void>[] = [];
  const inflight = new Set<http.ClientRequest>();
  const sleepers = new Set<() => void>();
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping || ms <= 0) return resolve();
      const wake = (): void => {
        clearTimeout(t);
        sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  const err = (key: string): void => void (counters.errors[key] = (counters.errors[key] ?? 0) + 1);

  const setRunning = (h: HostState, release: number, sha256: string): void => {
    runningCount = moveRunning(runningCount, h.release, release);
    h.release = release;
    h.sha256 = sha256;
  };

  const install = async (h: HostState, desired: { release: number; signed: { envelope: string; signature: string } }): Promise<void> => {
    let envelope;
    try {
      envelope = verifyRelease(desired.signed, o.trustedKeys);
    } catch (e) {
      counters.refused++;
      await post('/v1/agent/bundle-status', h.token, { release: desired.release, sha256: '0'.repeat(64), status: 'rejected', error: String(e instanceof Error ? e.message : e).slice(0, 1024) }).catch(() => err('network'));
      return;
    }
    if (envelope.release <= h.release && envelope.sha256 === h.sha256) return;
    const a = await request('GET', `/v1/agent/bundles/${envelope.sha256}`, h.token, undefined, {}, 60_000);
    counters.downloads++;
    counters.downloadBytes += a.body.length;
    const ok = a.status === 200 && a.body.length === envelope.size && createHash('sha256').update(a.body).digest('hex') === envelope.sha256;
    if (!ok) {
      counters.refused++;
      await post('/v1/agent/bundle-status', h.token, { release: envelope.release, sha256: envelope.sha256, status: 'failed', error: `archive download answered ${a.status} or its sha256 differs` });
      return;
    }
    const st = await post('/v1/agent/bundle-status', h.token, { release: envelope.release, sha256: envelope.sha256, status: 'installed', error: null });
    if (st.status !== 200) return err(`status_${st.status}`);
    setRunning(h, envelope.release, envelope.sha256);
    counters.installed++;
    if (reportChecks) {
      const now = Date.now();
      const report = { ...model.reportAt(h.index, now), checks: { release: envelope.release, results: [{ name: 'sim', state: 'OK' as const, output: 'OK', at: new Date(now).toISOString(), duration_ms: 0 }] } };
      const r = await post('/v1/reports', h.token, report);
      if (r.status === 200) counters.reports++;
      else err(`report_${r.status}`);
    }
  };

  const answerTask = async (h: HostState, task: AgentTask): Promise<void> => {
    for (let attempt = 1; attempt <= 5 && !stopping; attempt++) {
      let retryAfterMs: number | null = null;
      try {
        const r = await request('POST', `/v1/agent/tasks/${task.id}/result`, h.token, { status: 'succeeded', exit_code: 0, duration_ms: 0, output: '' });
        if (r.status === 200) {
          counters.tasksAnswered++;
          return;
        }
        err(`task_${r.status}`);
        if (r.status !== 429 && r.status < 500) return;
        const ra = r.headers['retry-after'];
        retryAfterMs = parseRetryAfter(Array.isArray(ra) ? ra[0] : ra, Date.now());
      } catch {
        err('network');
      }
      await nap(retryDelay(attempt, retryAfterMs, random(), 200, 30_000));
    }
  };

  const hostLoop = async (h: HostState, lo: Required<PollLoopOptions>, offsetMs: number): Promise<void> => {
    const intervalMs = lo.pollIntervalSeconds * 1000;
    const t0 = Date.now();
    await nap(offsetMs);
    let first = true;
    let failures = 0;
    for (let k = 1; !stopping; k++) {
      let delay = 0;
      const held = lo.pollWaitSeconds > 0 && h.etag !== '';
      const q = `release=${h.release}&sha256=${h.sha256}&wait=${lo.pollWaitSeconds}`;
      const started = performance.now();
      let req: http.ClientRequest | undefined;
      if (held) parked++;
      try {
        counters.polls++;
        const a = await request('GET', `/v1/agent/poll?${q}`, h.token, undefined, h.etag ? { 'if-none-match': h.etag } : {}, lo.pollWaitSeconds * 1000 + POLL_SLACK_MS, (r) => {
          req = r;
          inflight.add(r);
        });
        const ms = performance.now() - started;
        if (!held) atOnce.add(ms);
        const step = pollAnswerStep({ status: a.status, retryAfter: a.headers['retry-after'], held, elapsedMs: ms, waitSeconds: lo.pollWaitSeconds, jitterMs: lo.jitterMs, failures, random });
        const o = step.outcome;
        failures = step.failures;
        delay = step.delayMs;
        if (o.kind === '200') {
          counters.status200++;
          const parsed = pollResponseSchema.safeParse(JSON.parse(a.body.toString('utf8')));
          if (!parsed.success) throw new Error('bad_answer');
          for (const task of parsed.data.tasks) track(answerTask(h, task));
          const d = parsed.data.desired;
          if (d && d.release !== h.release) {
            const list = delivered.get(d.release) ?? [];
            list.push(Date.now());
            delivered.set(d.release, list);
            await install(h, d);
          }
          h.etag = String(a.headers.etag ?? '');
        } else if (o.kind === 'error') {
          err(o.key);
        } else {
          counters.status304++;
          if (o.kind === 'early304') counters.early304++;
          else if (o.overshootMs !== undefined) overshoot.add(o.overshootMs);
        }
      } catch (e) {
        if (stopping) break;
        const step = pollAnswerStep({ status: undefined, error: e instanceof Error && e.message === 'bad_answer' ? 'bad_answer' : 'network', held, elapsedMs: 0, waitSeconds: lo.pollWaitSeconds, jitterMs: lo.jitterMs, failures, random });
        if (step.outcome.kind === 'error') err(step.outcome.key);
        failures = step.failures;
        delay = step.delayMs;
      } finally {
        if (held) parked--;
        if (req) inflight.delete(req);
        if (first) {
          first = false;
          firstDone++;
        }
      }
      delay = slotDelay(delay, { t0, offsetMs, k, intervalMs, now: Date.now() });
      if (delay > 0) await nap(delay);
    }
  };

  const stopLoops = async (): Promise<void> => {
    if (!running) return;
    stopping = true;
    for (const wake of [...sleepers]) wake();
    for (const r of [...inflight]) r.destroy();
    await Promise.allSettled(loops);
    await Promise.allSettled([...pending]);
    loops = [];
    running = false;
    stopping = false;
  };

  return {
    enrolled: hosts.length,
    enrollErrors,
    start(options = {}) {
      if (running) throw new Error('poll loops are running already');
      running = true;
      firstDone = 0;
      const lo: Required<PollLoopOptions> = {
        pollWaitSeconds: options.pollWaitSeconds ?? 55,
        jitterMs: options.jitterMs ?? 1000,
        pollIntervalSeconds: options.pollIntervalSeconds ?? 0,
        startSpreadMs: options.startSpreadMs ?? 0,
      };
      if (!Number.isInteger(lo.pollWaitSeconds) || lo.pollWaitSeconds < 0 || lo.pollWaitSeconds > 60) throw new RangeError('pollWaitSeconds must be an integer from 0 to 60');
      loops = hosts.map((h, j) => hostLoop(h, lo, Math.floor((j / hosts.length) * lo.startSpreadMs)));
    },
    stopLoops,
    stats: () => ({ ...structuredClone(counters), atOnce: atOnce.summary(), heldOvershoot: overshoot.summary(), parked }),
    resetStats() {
      counters = newCounters();
      atOnce = new LatencyHistogram();
      overshoot = new LatencyHistogram();
    },
    firstPollsDone: () => firstDone,
    running: (n) => runningCount.get(n) ?? 0,
    deliveries: (n) => delivered.get(n) ?? [],
    async close() {
      await stopLoops();
      agent.destroy();
    },
  };
}

/** Rollout settings of a publish (POST /v1/bundles `rollout`). */
export interface PublishRollout {
  readonly waves?: readonly number[];
  readonly soak_ms?: number;
  readonly wave_timeout_ms?: number;
  readonly max_failure_rate?: number;
  readonly auto_rollback?: boolean;
  /** Only the hosts this selects (as `vigia bundle publish --where`). */
  readonly where?: Readonly<Record<string, string>>;
}

/**
 * Publish a one-check bundle (`vigia-checks.yaml` + `check.sh`, `salt` makes its content unique) the
 * way `vigia bundle publish` does: GET /v1/bundles for the numbers, sign the release and (when the
 * fleet settled on one) its rollback with `privateKeyPem`, POST /v1/bundles. Resolves to the release
 * number; throws with the server's answer on anything but 200.
 */
export async function publishSimBundle(url: string, adminToken: string, privateKeyPem: string, rollout: PublishRollout, salt = String(Date.now())): Promise<{ release: number; sha256: string; size: number }> {
  const auth = { authorization: `Bearer ${adminToken}` };
  const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'sim', checks: [{ name: 'sim', command: 'check.sh' }] };
  const packed = packArchive(manifest, [
    { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
    { path: 'check.sh', executable: true, data: Buffer.from(`#!/bin/sh\n# ${salt}\necho OK\n`) },
  ]);
  const ir = await fetch(`${url}/v1/bundles`, { headers: auth });
  if (!ir.ok) throw new Error(`GET /v1/bundles answered ${ir.status}: ${(await ir.text()).slice(0, 300)}`);
  const index = (await ir.json()) as { latest: number; current: { release: number; sha256: string; size: number } | null };
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  const now = new Date();
  const base = { format: ENVELOPE_FORMAT, bundle: 'sim', created_at: now.toISOString(), expires_at: new Date(now.getTime() + 86_400_000).toISOString(), key_id: keyId(publicKeyPem) } as const;
  const release: ReleaseEnvelope = { ...base, release: index.latest + 1, sha256: packed.sha256, size: packed.bytes.length };
  const revert = index.current ? signRelease({ ...base, release: index.latest + 2, sha256: index.current.sha256, size: index.current.size, reverts: release.release }, privateKeyPem) : undefined;
  const res = await fetch(`${url}/v1/bundles`, {
    method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ release: signRelease(release, privateKeyPem), ...(revert ? { revert } : {}), archive: packed.bytes.toString('base64'), rollout }),
  });
  if (!res.ok) throw new Error(`POST /v1/bundles answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return { release: release.release, sha256: packed.sha256, size: packed.bytes.length };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
