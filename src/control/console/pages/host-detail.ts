/**
 * One host: identity and tags, system figures, devices, top processes, check states, recent fleet-run
 * results and the bundle it runs, from the latest report and the fleet tables (one query per table, by
 * host). Processes show their short name only: command lines stay on the agent's own API.
 */
import { plural } from '../../../core/plural.js';
import { bytes, ago, e, pctCell, table, tags } from '../view.js';
import type { ConsolePage } from '../page.js';

/** GET /ui/hosts/:name. */
export const hostDetailPage: ConsolePage = {
  name: '/ui/hosts/:name', path: /^\/ui\/hosts\/([^/]{1,253})$/, nav: 'hosts',
  async render({ deps, params, now }) {
    const h = await deps.data.host(params[0]!);
    if (!h) return { title: 'No such host', status: 404, body: `<p>No host named <strong>${e(params[0]!)}</strong> is enrolled. <a href="/ui/hosts">All hosts</a></p>` };
    const s = h.system;
    const parts: string[] = [];
    parts.push(`<dl class="kv"><dt>Last report</dt><dd>${ago(h.lastSeen, now)}${h.source ? ` <span class="muted">(${e(h.source)})</span>` : ''}</dd>
<dt>Interval</dt><dd>${h.intervalSeconds === null ? '–' : `${e(h.intervalSeconds)} s`}</dd><dt>Enrolled</dt><dd>${ago(h.enrolledAt, now)}</dd>
<dt>Tags</dt><dd>${tags(h.tags) || '<span class="muted">none</span>'}</dd><dt>Reported tags</dt><dd>${tags(h.reportedTags) || '<span class="muted">none</span>'}</dd>
${h.lastError ? `<dt>Last refused report</dt><dd class="crit">${e(h.lastError)} (${ago(h.lastErrorAt, now)})</dd>` : ''}
${h.bundle ? `<dt>Check bundle</dt><dd>release ${e(h.bundle.appliedRelease)}${h.bundle.failedRelease !== null ? ` <span class="crit">(release ${e(h.bundle.failedRelease)} failed: ${e(h.bundle.failedError ?? '')})</span>` : ''}</dd>` : ''}</dl>`);
    parts.push('<h2>System</h2>');
    parts.push(s ? `<dl class="kv"><dt>CPUs</dt><dd>${e(s.cpus ?? 0)}</dd><dt>CPU</dt><dd>user ${e((s.cpu_user ?? 0).toFixed(1))} %, system ${e((s.cpu_system ?? 0).toFixed(1))} %, iowait ${e((s.cpu_iowait ?? 0).toFixed(1))} %, steal ${e((s.cpu_steal ?? 0).toFixed(1))} %</dd>
<dt>Load</dt><dd>${e((s.load1 ?? 0).toFixed(2))} ${e((s.load5 ?? 0).toFixed(2))} ${e((s.load15 ?? 0).toFixed(2))}</dd><dt>Memory</dt><dd>${bytes(s.mem_total_bytes ?? null)}, ${e((s.mem_used_pct ?? 0).toFixed(0))} % used, swap ${e((s.swap_used_pct ?? 0).toFixed(0))} %</dd>
<dt>Uptime</dt><dd>${e(plural((s.uptime_seconds ?? 0) / 86_400, 'day', { shown: ((s.uptime_seconds ?? 0) / 86_400).toFixed(1) }))}</dd></dl>` : '<p class="empty">No system figures reported.</p>');
    parts.push('<h2>Devices</h2>');
    parts.push(table('Mounted volumes', ['Mount', 'Device', 'Role', 'Size', 'Used', 'Use', 'Inodes', 'Error'], h.devices.map((d) =>
      `<tr><td>${e(d.mountpoint)}</td><td>${e(d.device)} <span class="muted">${e(d.fstype)}${d.readOnly ? ', read-only' : ''}</span></td><td>${e(d.role)}</td><td class="num">${bytes(d.sizeBytes)}</td><td class="num">${bytes(d.usedBytes)}</td>${pctCell(d.usePct)}${pctCell(d.inodeUsePct)}<td>${e(d.error ?? '')}</td></tr>`), 'No devices reported.', [3, 4, 5, 6]));
    parts.push('<h2>Checks</h2>');
    parts.push(h.checks
      ? table(`Check results of release ${h.checks.release}`, ['Check', 'State', 'Output', 'At'], h.checks.results.map((c) =>
        `<tr><td>${e(c.name)}</td><td class="${c.state === 'OK' ? 'ok' : c.state === 'WARNING' ? 'warn' : 'crit'}">${e(c.state)}</td><td><pre class="out">${e(c.output)}</pre></td><td>${ago(new Date(c.at), now)}</td></tr>`), 'No check results.')
      : '<p class="empty">No check results reported.</p>');
    parts.push('<h2>Recent fleet runs</h2>');
    parts.push(table('Fleet runs on this host, newest first', ['Run', 'Action', 'State', 'Exit', 'Finished', 'Output'], h.runs.map((r) =>
      `<tr><td><a href="/ui/runs">#${e(r.runId)}</a></td><td>${e(r.action)}</td><td class="${r.state === 'succeeded' ? 'ok' : r.state === 'failed' || r.state === 'timed_out' ? 'crit' : ''}">${e(r.state)}</td><td class="num">${r.exitCode === null ? '–' : e(r.exitCode)}</td><td>${ago(r.finishedAt, now)}</td><td><pre class="out">${e(r.output)}</pre></td></tr>`), 'No fleet run touched this host.', [3]));
    parts.push('<h2>Top processes</h2>');
    parts.push(h.processes
      ? table(`Top processes by CPU, sampled ${h.processes.sampledAt.toISOString().slice(0, 19).replace('T', ' ')} UTC (command lines: the agent's GET /v1/processes)`, ['PID', 'Name', 'User', 'CPU %', 'RSS'], h.processes.list.map((p) =>
        `<tr><td class="num">${e(p.pid)}</td><td>${e(p.name)}</td><td>${e(p.user)}</td><td class="num">${e(p.cpu_pct.toFixed(1))}</td><td class="num">${bytes(p.rss_bytes)}</td></tr>`), 'No process reported.', [0, 3, 4])
      : '<p class="empty">Its agent reports no processes (an older agent, or a host polled through node_exporter).</p>');
    return { title: h.name, body: parts.join('\n') };
  },
};
