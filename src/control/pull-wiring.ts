/**
 * Pulling, wired into the control plane: scrape the targets of `--pull-targets` (agents' JSON API,
 * plain node_exporters) and feed their reports through the same ingest queue as pushed ones. A target
 * host not yet known is registered without a push token (it cannot push until enrolled); a host that
 * both pushes and is pulled stays one host, and duplicates by sampled_at are ignored as usual.
 */
import { hashToken, newToken } from '../core/auth.js';
import { parseHostReport } from '../core/contracts/host-report.js';
import type { Logger } from '../core/log.js';
import type { ControlMetrics } from './control-metrics.js';
import type { IngestQueue } from './ingest-queue.js';
import { createPullLoop } from './pull/pull-loop.js';
import { loadPullTargets } from './pull/targets.js';
import type { ControlStore, HostIdentity } from './store/control-store.js';

/** Start pulling; resolves with the stop function (waits for in-flight scrapes). */
export async function startPulling(deps: { file: string; intervalSeconds: number; store: ControlStore; queue: IngestQueue; metrics: ControlMetrics; log: Logger }): Promise<() => Promise<void>> {
  const { store, queue, metrics, log } = deps;
  const targets = loadPullTargets(deps.file);
  const tagsOf = new Map(targets.map((t) => [t.host, t.tags]));
  // Looked up per report (one indexed query a minute per target): a host removed and re-enrolled
  // meanwhile gets its new id. An unusable random token hash: a pulled-only host has no push
  // credential until someone enrols it.
  const resolve = async (name: string): Promise<HostIdentity> =>
    (await store.hostByName(name)) ?? (await store.enrollHost(name, hashToken(newToken()), tagsOf.get(name) ?? {})).host;
  for (const t of targets) await resolve(t.host);
  const loop = createPullLoop({
    targets,
    intervalSeconds: deps.intervalSeconds,
    onReport: async (name, report, kind) => {
      const host = await resolve(name);
      const checked = parseHostReport(report);
      if (!checked.ok) throw new Error(`pulled report does not match the contract: ${checked.problems.join('; ')}`);
      const outcome = await queue.submit({ hostId: host.id, receivedAt: new Date(), source: kind === 'agent' ? 'pull-agent' : 'pull-node-exporter', report: checked.report });
      metrics.pulls.inc({ kind, outcome });
    },
    onError: (name, err, kind) => {
      metrics.pulls.inc({ kind, outcome: 'error' });
      log.warn({ host: name, kind, err: err.message }, 'pull failed');
    },
  });
  loop.start();
  log.info({ targets: targets.length, intervalSeconds: deps.intervalSeconds }, 'pulling targets');
  return () => loop.stop();
}
