/**
 * The living part of `vigia up --demo` that runs inside `vigia up`: a small group of simulated
 * agents that long-poll the control plane like real ones (src/control/simulate/poll-agents.ts:
 * they verify and install signed releases and answer fleet-run tasks), a rollout kept in progress
 * over them (a new signed release is published whenever the last one has settled) and a fleet run
 * every few minutes. The report fleet (history, silent and filling hosts) is `vigia simulate`, a
 * part of its own (plan.ts).
 *
 * Only ever talks to the control plane's loopback URL; every loop stops with the signal.
 */
import { enrollPollAgents, publishSimBundle, type PollAgents } from '../control/simulate/poll-agents.js';

/** The tag that selects the demo's polling agents (their rollout and runs leave every other host alone). */
export const DEMO_AGENTS_TAG = Object.freeze({ key: 'demo', value: 'agents' });

/** What the demo driver needs. */
export interface DemoDriverOptions {
  readonly url: string;
  /** Operator token with scopes admin and run. */
  readonly adminToken: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  /** Simulated polling agents (they also carry the simulated=true tag). */
  readonly agents: number;
  /** A fleet run is started this often (the first at once). */
  readonly runEveryMs: number;
  /** How often the loop looks at the rollout and the runs. */
  readonly tickMs: number;
  /** Rollout soak per wave. */
  readonly soakMs: number;
  readonly signal: AbortSignal;
  /** One line about what happened (to the demo's log file). */
  readonly note: (line: string) => void;
}

/** Rollout states after which a new release may be published (the others: one is under way, or an operator paused it). */
const SETTLED = new Set(['completed', 'rolled_back', 'superseded']);
const REQUEST_TIMEOUT_MS = 15_000;

/** Enrol the polling agents, start their loops and the rollout/run loop; resolves once they run. close() stops all. */
export async function startDemoDriver(o: DemoDriverOptions): Promise<{ close(): Promise<void> }> {
  const agents: PollAgents = await enrollPollAgents({
    url: o.url, adminToken: o.adminToken, hosts: o.agents, trustedKeys: [o.publicKeyPem], prefix: 'sim-agent', seed: 7,
    tags: { [DEMO_AGENTS_TAG.key]: DEMO_AGENTS_TAG.value },
  });
  o.note(`demo: ${agents.enrolled} polling agents enrolled`);
  agents.start({ startSpreadMs: 2000 });
  const where = { [DEMO_AGENTS_TAG.key]: DEMO_AGENTS_TAG.value };
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${o.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${o.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.any([o.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON: the status says enough.
    }
    return { status: res.status, json };
  };
  let lastRunAt = 0;
  const tick = async (): Promise<void> => {
    const current = await call('GET', '/v1/rollouts/current');
    if (current.status === 404 || (current.status === 200 && SETTLED.has(String(current.json?.state)))) {
      const { release } = await publishSimBundle(o.url, o.adminToken, o.privateKeyPem, { waves: [10, 50, 100], soak_ms: o.soakMs, wave_timeout_ms: 5 * 60_000, max_failure_rate: 0.5, where });
      o.note(`demo: published release ${release} (rollout in waves 10,50,100 % over the demo agents)`);
    }
    if (Date.now() - lastRunAt >= o.runEveryMs) {
      const run = await call('POST', '/v1/runs', { action: 'purge-binlogs', params: { days: 7 }, where, concurrency: '2', max_errors: '10%' });
      lastRunAt = Date.now();
      o.note(`demo: fleet run ${run.status === 200 ? `${run.json?.run?.id} started` : `refused (${run.status})`}`);
    }
  };
  const loop = (async () => {
    while (!o.signal.aborted) {
      try {
        await tick();
      } catch (err) {
        if (!o.signal.aborted) o.note(`demo: ${err instanceof Error ? err.message : String(err)} (trying again)`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.tickMs);
        o.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
  })();
  return {
    async close() {
      await loop;
      await agents.close();
    },
  };
}
