/**
 * The fleet-run pages' HTML, pure: run views and result lines (the run service's, as `vigia run`
 * streams them) in, escaped HTML out. Result output is whatever the action printed on a host (it may
 * hold `<script>`): it is escaped like every other value. The progress panel and the result rows are
 * rendered the same way for the first paint and for each server-sent update.
 */
import { count } from '../../reports/format.js';
import type { RunResultLine, RunView } from '../../fleet-runs/run-service.js';
import { e, table } from '../view.js';
import { selectorText } from './rollouts-view.js';

/** Whether a run can still change (so its page listens for updates). */
export function runIsLive(v: Pick<RunView, 'state'>): boolean {
  return v.state === 'running' || v.state === 'stopping';
}

function stateClass(state: string): string {
  return state === 'succeeded' ? 'ok' : state === 'running' || state === 'stopping' ? '' : state === 'cancelled' ? 'warn' : 'crit';
}

function when(iso: string | null): string {
  return iso === null ? '<span class="muted">–</span>' : `<time datetime="${e(iso)}">${e(iso.replace('T', ' ').slice(0, 19))}</time>`;
}

/** The action's parameters as `k=v` text. */
export function paramsText(params: Readonly<Record<string, unknown>>): string {
  const t = Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  return t === '' ? '–' : t;
}

/** Hosts finished (any outcome) of a run. */
export function finishedCount(v: RunView): number {
  const c = v.counts;
  return c.succeeded + c.failed + c.timedOut + c.rejected + c.notDispatched;
}

/** The runs list (newest first). */
export function runsTable(runs: readonly RunView[]): string {
  return table('Fleet runs, newest first', ['#', 'Action', 'Where', 'State', 'Done', 'Errors', 'By', 'Started (UTC)'], runs.map((r) =>
    `<tr><td><a href="/ui/runs/${e(r.id)}">${e(r.id)}</a></td><td>${e(r.action)}</td><td>${e(selectorText(r.selector))}</td><td class="${stateClass(r.state)}">${e(r.state)}</td>`
    + `<td class="num">${e(count(finishedCount(r)))} of ${e(count(r.counts.targets))}</td><td class="num${r.counts.errors > 0 ? ' crit' : ''}">${e(count(r.counts.errors))}</td><td>${e(r.created_by)}</td><td>${when(r.created_at)}</td></tr>`), 'No fleet run yet.', [4, 5]);
}

/** The live progress panel of one run: state and counts. */
export function runProgress(v: RunView): string {
  const c = v.counts;
  const done = finishedCount(v);
  const pct = c.targets === 0 ? 100 : Math.round((done / c.targets) * 100);
  const cards: Array<[string, number, string]> = [
    ['Targets', c.targets, ''], ['Done', done, ''], ['Running', c.inFlight, ''], ['Pending', c.pending, ''],
    ['Succeeded', c.succeeded, 'ok'], ['Failed', c.failed, c.failed > 0 ? 'crit' : ''], ['Timed out', c.timedOut, c.timedOut > 0 ? 'crit' : ''],
    ['Rejected', c.rejected, c.rejected > 0 ? 'warn' : ''], ['Not dispatched', c.notDispatched, c.notDispatched > 0 ? 'warn' : ''],
  ];
  return `<p>State: <strong class="${stateClass(v.state)}">${e(v.state)}</strong>; errors ${e(count(c.errors))} of at most ${e(count(c.maxErrors))} allowed. <progress max="100" value="${e(pct)}" aria-label="${e(pct)} % of hosts done"></progress> ${e(pct)} %</p>`
    + `<ul class="cards" aria-label="Run counts">${cards.map(([label, n, cls]) => `<li><span class="n${cls ? ` ${cls}` : ''}">${e(count(n))}</span>${e(label)}</li>`).join('')}</ul>`;
}

/** What the run is: action, parameters, selection, limits, who and when. */
export function runFacts(v: RunView): string {
  const facts: Array<[string, string]> = [
    ['Action', e(v.action)], ['Parameters', e(paramsText(v.params))], ['Where', e(selectorText(v.selector))],
    ['Concurrency', e(count(v.concurrency))], ['Max errors', e(count(v.max_errors))], ['Started by', e(v.created_by)], ['Started', when(v.created_at)], ['Finished', when(v.finished_at)],
  ];
  return `<dl class="kv">${facts.map(([k, val]) => `<dt>${e(k)}</dt><dd>${val}</dd>`).join('')}</dl>`;
}

/** Result rows (the `<tr>`s of the results table's body). */
export function resultRows(lines: readonly RunResultLine[]): string {
  return lines.map((l) => `<tr><td class="num">${e(l.seq)}</td><td><a href="${e(`/ui/hosts/${encodeURIComponent(l.host)}`)}">${e(l.host)}</a></td><td class="${stateClass(l.state)}">${e(l.state.replace('_', ' '))}</td>`
    + `<td class="num">${e(l.exit_code ?? '–')}</td><td class="num">${e(l.duration_ms === null ? '–' : `${(l.duration_ms / 1000).toFixed(1)} s`)}</td><td><pre class="out">${e(l.output)}</pre></td></tr>`).join('');
}

/** The results table with an element id on its body, so live rows can be appended to it. */
export function resultsTable(bodyId: string, lines: readonly RunResultLine[]): string {
  return `<div class="scroll"><table><caption class="skip">Per-host results in the order they finished</caption><thead><tr><th scope="col" class="num">#</th><th scope="col">Host</th><th scope="col">Outcome</th><th scope="col" class="num">Exit</th><th scope="col" class="num">Took</th><th scope="col">Output</th></tr></thead><tbody id="${e(bodyId)}">${resultRows(lines)}</tbody></table></div>`;
}
