/**
 * The agent's side of fleet changes: one outbound long-poll to the control plane (hosts expose
 * nothing new; works behind NAT) that brings
 * - the release of the check bundle this host should run: verified (signature, hash, downgrade,
 *   expiry), installed atomically, its checks started; refused ones leave the last good release
 *   running, and every outcome is reported back;
 * - fleet-run tasks: allow-listed actions run through the agent's own action service (the same
 *   validation, identity, timeouts and audit log as a local call), results posted back.
 */
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { pollResponseSchema, type AgentTask, type BundleStatus, type PollResponse, type TaskResult } from '../../core/contracts/agent-poll.js';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { MANIFEST_FILE, parseManifest, verifyRelease, type BundleManifest, type SignedRelease } from '../../core/contracts/bundle.js';
import type { ReportChecks } from '../../core/contracts/host-report.js';
import { VigiaError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ActionService } from '../actions/action-service.js';
import { createCheckRunner, prepareChecks, type CheckRunner } from '../checks/check-runner.js';
import { bundleDirProblem, decideOffer, installRelease, readInstalled, type InstalledState } from './installer.js';

/** Options of the fleet client. */
export interface FleetClientOptions {
  /** The control plane's base URL (same as --report-to). */
  readonly url: string;
  /** The host token. */
  readonly token: string;
  readonly ca?: Buffer;
  /** Where releases are installed (state.json, current, releases/). */
  readonly bundleDir: string;
  /** Public keys (PEM) whose signatures this host trusts. */
  readonly trustedKeys: readonly string[];
  readonly hostTags: Readonly<Record<string, string>>;
  /** The agent's action service; null: tasks are answered `rejected`. */
  readonly actions: ActionService | null;
  /** Checks run as this user when the agent is root. */
  readonly runAs?: { readonly uid: number; readonly gid: number };
  readonly log: Logger;
  /** Seconds a poll is held by the control plane (default 55). */
  readonly pollWaitSeconds?: number;
  /** Called when fresh check results should reach the control plane soon. */
  readonly onChecksReady?: () => void;
  readonly random?: () => number;
  /** First backoff after a failed poll or install, doubled per failure up to 5 min (default 5000 ms). */
  readonly retryBaseMs?: number;
}

/** The running client. */
export interface FleetClient {
  start(): Promise<void>;
  /** The latest check results, for the host report; undefined without a bundle. */
  checks(): ReportChecks | undefined;
  /** What is installed. */
  installed(): InstalledState | null;
  stop(): Promise<void>;
}

type HttpResult = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

const MAX_ARCHIVE_DOWNLOAD = 17 * 1024 * 1024;

/** Build the fleet client (start() reads the installed release and starts its checks). */
export function createFleetClient(opts: FleetClientOptions): FleetClient {
  const { log } = opts;
  const random = opts.random ?? Math.random;
  const base = new URL(opts.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  const agent = base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 4, ...(opts.ca ? { ca: opts.ca } : {}) }) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  const waitSeconds = opts.pollWaitSeconds ?? 55;
  const retryBaseMs = opts.retryBaseMs ?? 5000;
  let installed: InstalledState | null = null;
  let runner: CheckRunner | null = null;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let inFlight: http.ClientRequest | undefined;
  /** ETag of the last desired release we acted on (installed or refused): not downloaded again. */
  let seenEtag = '';
  /** Why state.json could not be read; every offer is refused while set. */
  let stateProblem: string | null = null;
  const tasksRunning = new Set<Promise<void>>();
  let wakeSleep: (() => void) | undefined;

  const request = (method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 30_000, maxBytes = 1024 * 1024): Promise<HttpResult> =>
    new Promise((resolve, reject) => {
      const url = new URL(`${prefix}${path}`, base);
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(url, {
        method, agent, timeout: timeoutMs,
        headers: { authorization: `Bearer ${opts.token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      if (method === 'GET' && path.startsWith('/v1/agent/poll')) inFlight = req;
      req.end(payload);
    });

  const startChecks = async (state: InstalledState, fresh: boolean): Promise<void> => {
    await runner?.stop();
    runner = null;
    const dir = join(opts.bundleDir, 'releases', state.sha256);
    // The scripts are run from here: a release directory others could have changed is not run.
    const untrusted = await bundleDirProblem(opts.bundleDir, { release: state.sha256 }).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (untrusted) {
      log.error({ release: state.release, err: untrusted }, 'installed release cannot be trusted; its checks do not run');
      return;
    }
    let manifest: BundleManifest;
    try {
      // The release directory holds the bundle's own vigia-checks.yaml (signed with the rest).
      manifest = parseManifest(parseYaml(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as unknown);
    } catch (err) {
      log.error({ release: state.release, err: err instanceof Error ? err.message : String(err) }, 'installed release has no readable manifest; its checks do not run');
      return;
    }
    let expected: number;
    try {
      expected = prepareChecks({ bundleDir: dir, checks: manifest.checks, hostTags: opts.hostTags, runAs: opts.runAs }).length;
    } catch (err) {
      // Publish and install validate the manifest, so this is a release the agent cannot run: say so
      // and keep polling (the fix, or the rollback, arrives the same way).
      log.error({ release: state.release, err: err instanceof Error ? err.message : String(err) }, 'the installed release\'s checks cannot run');
      return;
    }
    let first = fresh;
    runner = createCheckRunner({
      bundleDir: dir, release: state.release, checks: manifest.checks, hostTags: opts.hostTags, runAs: opts.runAs,
      // A fresh install runs every check at once: the rollout's health gate is waiting for them.
      ...(fresh ? { random: () => 0 } : {}),
      onResult: () => {
        if (first && runner && runner.results().results.length >= expected) {
          first = false;
          opts.onChecksReady?.();
        }
      },
    });
    log.info({ release: state.release, checks: expected }, 'checks running');
    // No check applies to this host: its (empty) results are ready at once.
    if (fresh && expected === 0) opts.onChecksReady?.();
  };

  const report = async (status: BundleStatus): Promise<void> => {
    try {
      const r = await request('POST', '/v1/agent/bundle-status', status);
      if (r.status !== 200) log.warn({ status: r.status }, 'control plane did not take the bundle status');
    } catch (err) {
      log.warn({ err }, 'could not report the bundle status');
    }
  };

  /** Act on an offered release: 'done' (installed, already, or refused for good) or 'retry' (a transient failure). */
  const consider = async (desired: NonNullable<PollResponse['desired']>): Promise<'done' | 'retry'> => {
    const signed: SignedRelease = desired.signed;
    let envelope;
    try {
      envelope = verifyRelease(signed, opts.trustedKeys);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.error({ release: desired.release, reason }, 'release refused: signature');
      await report({ release: desired.release, sha256: '0'.repeat(64), status: 'rejected', error: reason.slice(0, 1024) });
      return 'done';
    }
    if (stateProblem) {
      await report({ release: envelope.release, sha256: envelope.sha256, status: 'rejected', error: stateProblem.slice(0, 1024) });
      return 'done';
    }
    const decision = decideOffer(envelope, installed, new Date());
    if (decision.action === 'already') return 'done';
    if (decision.action === 'reject') {
      log.error({ release: envelope.release, reason: decision.reason }, 'release refused');
      await report({ release: envelope.release, sha256: envelope.sha256, status: 'rejected', error: decision.reason.slice(0, 1024) });
      return 'done';
    }
    try {
      const res = await request('GET', `/v1/agent/bundles/${envelope.sha256}`, undefined, {}, 60_000, MAX_ARCHIVE_DOWNLOAD);
      if (res.status !== 200) throw new Error(`archive download answered ${res.status}`);
      const state = await installRelease(opts.bundleDir, signed, res.body, opts.trustedKeys, new Date());
      installed = state;
      log.info({ release: state.release, sha256: state.sha256 }, 'bundle release installed');
      await report({ release: state.release, sha256: state.sha256, status: 'installed', error: null });
      await startChecks(state, true);
      return 'done';
    } catch (err) {
      const rejected = err instanceof VigiaError && (err.code === 'BUNDLE_ERR_REJECTED' || err.code === 'BUNDLE_ERR_SIGNATURE' || err.code === 'BUNDLE_ERR_INVALID');
      const reason = err instanceof Error ? err.message : String(err);
      log.error({ release: envelope.release, reason }, rejected ? 'release refused' : 'release install failed; retrying');
      await report({ release: envelope.release, sha256: envelope.sha256, status: rejected ? 'rejected' : 'failed', error: reason.slice(0, 1024) });
      // A refusal is final for this offer; a failure (download, disk) is tried again after a backoff.
      return rejected ? 'done' : 'retry';
    }
  };

  const runTask = async (task: AgentTask): Promise<void> => {
    let result: TaskResult;
    const t0 = Date.now();
    if (!opts.actions) {
      result = { status: 'rejected', exit_code: null, duration_ms: 0, output: 'this agent runs no actions (--actions-dir)' };
    } else {
      try {
        const run = await opts.actions.start(task.action, task.params, `control-plane:run-${task.run_id}`, { wait: true });
        const output = `${run.stdout}${run.stderr}`;
        result = {
          status: run.status === 'succeeded' ? 'succeeded' : run.status === 'timed_out' ? 'timed_out' : 'failed',
          exit_code: run.exit_code, duration_ms: run.duration_ms ?? Date.now() - t0,
          output: Buffer.from(output).length > 4096 ? Buffer.from(output).subarray(-4000).toString('utf8') : output,
        };
      } catch (err) {
        result = { status: 'rejected', exit_code: null, duration_ms: Date.now() - t0, output: (err instanceof Error ? err.message : String(err)).slice(0, 4000) };
      }
    }
    for (let attempt = 0; attempt < 5 && !stopping; attempt++) {
      try {
        const r = await request('POST', `/v1/agent/tasks/${task.id}/result`, result);
        if (r.status === 200 || (r.status >= 400 && r.status < 500 && r.status !== 429)) return;
      } catch {
        // retried below
      }
      await sleep(1000 * 2 ** attempt * random());
    }
    log.warn({ task: task.id }, 'could not deliver a task result');
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wakeSleep = undefined;
        resolve();
      }, ms);
      t.unref();
      wakeSleep = () => {
        clearTimeout(t);
        wakeSleep = undefined;
        resolve();
      };
    });

  const pollLoop = async (): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      let delay = 0;
      try {
        const q = `release=${installed?.release ?? 0}&sha256=${installed?.sha256 ?? ''}&wait=${waitSeconds}`;
        const res = await request('GET', `/v1/agent/poll?${q}`, undefined, seenEtag ? { 'if-none-match': seenEtag } : {}, (waitSeconds + 15) * 1000);
        if (res.status === 200) {
          const parsed = pollResponseSchema.safeParse(JSON.parse(res.body.toString('utf8')));
          if (!parsed.success) throw new Error('poll answer does not match the contract');
          for (const task of parsed.data.tasks) {
            const p = runTask(task).finally(() => tasksRunning.delete(p));
            tasksRunning.add(p);
          }
          let outcome: 'done' | 'retry' = 'done';
          if (parsed.data.desired && parsed.data.desired.release !== installed?.release) outcome = await consider(parsed.data.desired);
          if (outcome === 'done') {
            seenEtag = String(res.headers.etag ?? '');
            failures = 0;
          } else {
            failures++;
            delay = Math.min(300_000, retryBaseMs * 2 ** Math.min(failures, 6)) * (0.5 + random() / 2);
          }
        } else if (res.status === 304) {
          failures = 0;
          // Spread the fleet's polls: a little jitter before the next one.
          delay = random() * 1000;
        } else {
          failures++;
          const ra = Number(res.headers['retry-after']);
          delay = Number.isFinite(ra) && ra > 0 ? ra * 1000 : Math.min(300_000, 1000 * 2 ** failures) * random();
          if (res.status === 404) delay = Math.max(delay, 60_000);
          log.warn({ status: res.status, retryInMs: Math.round(delay) }, 'fleet poll refused');
        }
      } catch (err) {
        if (stopping) break;
        failures++;
        delay = Math.min(300_000, 1000 * 2 ** failures) * random();
        log.warn({ err: err instanceof Error ? err.message : String(err), retryInMs: Math.round(delay) }, 'fleet poll failed');
      }
      if (delay > 0 && !stopping) await sleep(delay);
    }
  };

  return {
    async start() {
      try {
        installed = await readInstalled(opts.bundleDir);
      } catch (err) {
        // Forgetting what runs would drop downgrade protection: refuse every offer until an operator
        // looks, but keep the agent (and its polls, reports, API) up.
        stateProblem = `${err instanceof Error ? err.message : String(err)}`;
        log.error({ err: stateProblem }, 'bundle state unreadable: every release is refused until it is fixed');
      }
      if (installed) await startChecks(installed, false);
      loop = pollLoop();
    },
    checks() {
      return runner?.results();
    },
    installed: () => installed,
    async stop() {
      stopping = true;
      wakeSleep?.();
      inFlight?.destroy();
      await loop;
      await Promise.allSettled([...tasksRunning]);
      await runner?.stop();
      agent.destroy();
    },
  };
}
