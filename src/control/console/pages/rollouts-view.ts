/**
 * The rollout page's HTML, pure: a rollout view (the rollout service's, as `vigia rollout status`
 * shows it) in, escaped HTML out. The live panel is rendered the same way for the first paint and
 * for every server-sent update, so the page and the stream never disagree. Buttons are links to a
 * confirmation page, drawn only for a session that may use them and only for steps the rollout's
 * state machine (rollouts/state.ts) allows now.
 */
import { plural } from '../../../core/plural.js';
import { count } from '../../reports/format.js';
import type { DriftRow, RolloutView } from '../../rollouts/rollout-service.js';
import { transition, type RolloutEvent } from '../../rollouts/state.js';
import type { RolloutRow } from '../../store/fleet-store.js';
import { e, href, table } from '../view.js';

/** An operator step on the current rollout. */
export type RolloutStep = 'pause' | 'resume' | 'rollback';

/** Every operator step, in button order. */
export const ROLLOUT_STEPS: readonly RolloutStep[] = ['pause', 'resume', 'rollback'];

/** Most stuck hosts listed per release in the drift table (the rest are counted). */
export const STUCK_LIMIT = 50;

const LABEL: Record<RolloutStep, string> = { pause: 'Pause', resume: 'Resume', rollback: 'Roll back' };

/** The state-machine event of a step on `view`. */
function eventOf(step: RolloutStep, view: RolloutView): RolloutEvent {
  return step === 'rollback' ? { type: 'rollback', hasRevert: view.revertRelease !== null } : { type: step };
}

/**
 * Whether `step` changes the rollout now: the state machine allows it and it is not a no-op
 * (pausing a paused rollout is allowed there, but a button for it would only confuse).
 */
export function stepAvailable(step: RolloutStep, view: RolloutView): boolean {
  try {
    return transition(view.state, eventOf(step, view)) !== view.state;
  } catch {
    return false;
  }
}

/** A state name for people (`rolling back`). */
export function stateText(state: string): string {
  return state.replace('_', ' ');
}

function stateClass(state: string): string {
  return state === 'running' || state === 'completed' ? 'ok' : state === 'paused' ? 'warn' : state === 'superseded' ? 'muted' : 'crit';
}

function rate(r: number): string {
  return Number.isFinite(r) ? `${(r * 100).toFixed(1)} %` : '–';
}

function rel(r: number | null): string {
  return r === null ? 'none' : String(r);
}

/** `role=mysql, az=b` or `every enrolled host`. */
export function selectorText(selector: Readonly<Record<string, unknown>> | null): string {
  if (selector === null || Object.keys(selector).length === 0) return 'every enrolled host';
  if (selector.all === true) return 'every enrolled host (--all)';
  return Object.entries(selector).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

/** What a step will do to this rollout, in words, for the confirmation page. */
export function stepConsequence(step: RolloutStep, v: RolloutView): string {
  const wave = Math.min(v.currentWave + 1, v.waves.length);
  const moved = v.perWave.filter((w) => w.wave <= v.currentWave).reduce((n, w) => n + w.hosts, 0);
  if (step === 'pause') {
    return `The rollout of release ${v.release} stops at wave ${wave} of ${v.waves.length}: the ${plural(moved, 'host', { shown: count(moved) })} already moved keep release ${v.release}, the others stay on release ${rel(v.previousRelease)}. Nothing advances until someone resumes it.`;
  }
  if (step === 'resume') {
    return `The rollout of release ${v.release} goes on from wave ${wave} of ${v.waves.length}; the health gate judges only check results sampled after now.`;
  }
  return `The ${plural(moved, 'host', { shown: count(moved) })} of waves 1 to ${wave} go to the pre-signed revert release ${rel(v.revertRelease)} (the content of release ${rel(v.previousRelease)}); hosts not reached yet stay on release ${rel(v.previousRelease)}. A rollback cannot be undone: a new publish starts a new rollout.`;
}

/** The step buttons (links to their confirmation page), only those `can` allows and the state permits. */
export function stepButtons(v: RolloutView, can: boolean): string {
  if (!can) return '';
  const links = ROLLOUT_STEPS.filter((s) => stepAvailable(s, v)).map((s) => `<a class="button${s === 'rollback' ? ' danger' : ''}" href="${href('/ui/rollouts/confirm', { step: s, rollout: v.id })}">${e(LABEL[s])}…</a>`);
  const noRevert = v.revertRelease === null && (v.state === 'running' || v.state === 'paused') ? '<span class="muted">No pre-signed revert release: to undo, publish the previous bundle again.</span>' : '';
  return links.length > 0 || noRevert ? `<p class="actions noprint">${links.join(' ')} ${noRevert}</p>` : '';
}

/** The live part of the page: state, waves with their progress, rates, reason, selection. */
export function rolloutPanel(v: RolloutView | undefined, can: boolean): string {
  if (!v) return '<p class="empty">Nothing was published yet: <code>vigia bundle publish</code> starts a rollout.</p>';
  const wave = Math.min(v.currentWave + 1, v.waves.length);
  const facts: Array<[string, string]> = [
    ['State', `<strong class="${stateClass(v.state)}">${e(stateText(v.state))}</strong>`],
    ['Release', `${e(v.bundle)} <strong>${e(v.release)}</strong> <span class="muted">(from ${e(rel(v.previousRelease))}; revert ${e(rel(v.revertRelease))})</span>`],
    ['Wave', `${e(wave)} of ${e(v.waves.length)} <span class="muted">(${e(v.waves.map((p) => `${p} %`).join(', '))})</span>`],
    ['Hosts', `${e(count(v.hosts.counted))} counted${v.hosts.neverPolled > 0 ? `, ${e(count(v.hosts.neverPolled))} never polled` : ''}${v.hosts.outside > 0 ? `, ${e(count(v.hosts.outside))} outside the selection` : ''}`],
    ['Selection', e(selectorText(v.selector))],
    ['Install failures', `${e(rate(v.installFailureRate))} <span class="muted">(max ${e(rate(v.maxFailureRate))})</span>`],
    ['Check failures', `${e(rate(v.checkFailureRate))} <span class="muted">(baseline ${e(rate(v.baselineRate))})</span>`],
    ['Auto rollback', v.autoRollback ? 'yes' : 'no'],
    ['Started', `<time datetime="${e(v.startedAt)}">${e(v.startedAt.replace('T', ' ').slice(0, 19))}</time>`],
    ['Reason', v.reason ? e(v.reason) : '<span class="muted">–</span>'],
  ];
  const dl = `<dl class="kv">${facts.map(([k, val]) => `<dt>${e(k)}</dt><dd>${val}</dd>`).join('')}</dl>`;
  const rows = v.perWave.map((w) => {
    const done = w.hosts === 0 ? 100 : Math.round((w.applied / w.hosts) * 100);
    const where = w.wave < v.currentWave || (w.wave === v.currentWave && v.state === 'completed') ? 'done' : w.wave === v.currentWave ? 'current' : 'waiting';
    return `<tr${where === 'current' ? ' class="current"' : ''}><td>${e(w.wave + 1)}</td><td class="num">${e(w.percent)} %</td><td class="num">${e(count(w.hosts))}</td>`
      + `<td><progress max="100" value="${e(done)}" aria-label="Wave ${e(w.wave + 1)}: ${e(done)} % applied"></progress> <span class="num">${e(count(w.applied))}</span></td>`
      + `<td class="num${w.failed > 0 ? ' crit' : ''}">${e(count(w.failed))}</td><td class="num${w.stuck > 0 ? ' warn' : ''}">${e(count(w.stuck))}</td><td class="num">${e(count(w.neverPolled))}</td><td>${e(where)}</td></tr>`;
  });
  return dl + stepButtons(v, can) + table('Waves of the rollout', ['Wave', 'Share', 'Hosts', 'Applied', 'Failed', 'Stuck', 'Never polled', ''], rows, 'No wave.', [1, 2, 4, 5, 6]);
}

/** Which release runs where, and the stuck hosts with why (at most STUCK_LIMIT per release). */
export function driftTable(rows: readonly DriftRow[]): string {
  return table('Which release runs where', ['Release', 'Hosts', 'Stuck hosts'], rows.map((r) => {
    const shown = r.stuck.slice(0, STUCK_LIMIT).map((s) => `<li><a href="${e(`/ui/hosts/${encodeURIComponent(s.host)}`)}">${e(s.host)}</a>: ${e(s.reason)}${s.lastSeen ? ` <span class="muted">(last seen ${e(s.lastSeen.replace('T', ' ').slice(0, 19))})</span>` : ''}</li>`);
    const more = r.stuck.length > STUCK_LIMIT ? `<li class="muted">and ${e(count(r.stuck.length - STUCK_LIMIT))} more</li>` : '';
    return `<tr><td>${e(r.release === null ? 'no bundle' : r.release)}</td><td class="num">${e(count(r.hosts))}</td><td>${shown.length > 0 ? `<ul class="plain">${shown.join('')}${more}</ul>` : '<span class="muted">none</span>'}</td></tr>`;
  }), 'No host runs a bundle yet.', [1]);
}

/** Past rollouts, newest first. */
export function historyTable(rows: readonly RolloutRow[]): string {
  return table('Rollouts, newest first', ['#', 'Release', 'State', 'Waves', 'Selection', 'By', 'Started (UTC)', 'Last change (UTC)', 'Reason'], rows.map((r) =>
    `<tr><td>${e(r.id)}</td><td>${e(r.release)}</td><td class="${stateClass(r.state)}">${e(stateText(r.state))}</td><td>${e(Math.min(r.currentWave + 1, r.waves.length))} of ${e(r.waves.length)}</td>`
    + `<td>${e(selectorText(r.selector))}</td><td>${e(r.createdBy)}</td><td>${e(r.createdAt.toISOString().replace('T', ' ').slice(0, 19))}</td><td>${e(r.updatedAt.toISOString().replace('T', ' ').slice(0, 19))}</td><td>${e(r.reason)}</td></tr>`), 'No rollout yet.');
}
