/**
 * The rollouts page: the current rollout (live through /ui/rollouts/events), its step buttons for
 * admin sessions, the drift table and past rollouts; and the confirmation page of a step, which says
 * what the step will do before the form that does it (no JavaScript confirm()).
 */
import { z } from 'zod';
import type { ConsolePage, PageContext } from '../page.js';
import { e } from '../view.js';
import { driftTable, historyTable, rolloutPanel, ROLLOUT_STEPS, stateText, stepAvailable, stepConsequence } from './rollouts-view.js';

/** Past rollouts shown. */
export const HISTORY_ROWS = 20;

/** The page's answer when this control plane serves no fleet changes. */
export const NO_FLEET = '<p class="empty">This control plane does not drive fleet changes (<code>--no-fleet</code>): rollouts and fleet runs are served by the one that does.</p>';

/** The id of the live panel's element (the stream swaps its content). */
export const ROLLOUT_PANEL_ID = 'rollout-live';
/** The id of the live drift table's element. */
export const DRIFT_PANEL_ID = 'rollout-drift';

/** GET /ui/rollouts. */
export const rolloutsPage: ConsolePage = {
  name: '/ui/rollouts', path: /^\/ui\/rollouts$/, nav: 'rollouts', leader: true,
  async render(ctx) {
    const fleet = ctx.deps.fleet;
    if (!fleet) return { title: 'Rollouts', body: NO_FLEET };
    const view = fleet.rollouts.view();
    const history = fleet.rolloutHistory ? await fleet.rolloutHistory(HISTORY_ROWS) : [];
    const done = typeof ctx.query.done === 'string' && (ROLLOUT_STEPS as readonly string[]).includes(ctx.query.done) ? ctx.query.done : undefined;
    const parts = [
      done ? `<p class="notice" role="status">Done: ${e(done === 'rollback' ? 'rollback requested' : `${done}d`)}.</p>` : '',
      `<div data-live="/ui/rollouts/events">`,
      `<section aria-labelledby="current-h"><h2 id="current-h">Current rollout${view ? ` <span class="muted">#${e(view.id)}</span>` : ''}</h2><div id="${ROLLOUT_PANEL_ID}" aria-live="polite">${rolloutPanel(view, ctx.can('admin'))}</div></section>`,
      `<section aria-labelledby="drift-h"><h2 id="drift-h">Drift</h2><div id="${DRIFT_PANEL_ID}">${driftTable(fleet.rollouts.drift())}</div></section>`,
      `</div>`,
      `<section aria-labelledby="history-h"><h2 id="history-h">History</h2>${historyTable(history)}</section>`,
    ];
    return { title: 'Rollouts', body: parts.join('\n') };
  },
};

const confirmQuery = z.object({ step: z.enum(['pause', 'resume', 'rollback']), rollout: z.coerce.number().int().min(1).max(2 ** 31 - 1) });

/** The confirmation page's body for a step (shared with the action when it must ask again). */
export function confirmBody(ctx: PageContext, step: 'pause' | 'resume' | 'rollback', message = ''): { title: string; body: string; status?: number } {
  const view = ctx.deps.fleet?.rollouts.view();
  if (!view) return { title: 'Rollouts', body: NO_FLEET, status: 404 };
  const verb = step === 'rollback' ? 'Roll back' : step === 'pause' ? 'Pause' : 'Resume';
  const title = `${verb} rollout #${view.id}?`;
  if (!stepAvailable(step, view)) {
    return { title, status: 409, body: `${message}<p>The rollout is <strong>${e(stateText(view.state))}</strong>: “${e(verb.toLowerCase())}” does not apply to it now.</p><p><a href="/ui/rollouts">Back to rollouts</a></p>` };
  }
  return {
    title,
    body: `${message}<p>${e(stepConsequence(step, view))}</p>
<form method="post" action="/ui/rollouts/${e(step)}" class="confirm"><input type="hidden" name="_csrf" value="${e(ctx.session.csrf)}"><input type="hidden" name="rollout" value="${e(view.id)}">
<button type="submit"${step === 'rollback' ? ' class="danger"' : ''}>${e(verb)} rollout #${e(view.id)} (release ${e(view.release)})</button> <a href="/ui/rollouts">Cancel</a></form>`,
  };
}

/** GET /ui/rollouts/confirm?step=pause|resume|rollback&rollout=ID (admin). */
export const rolloutConfirmPage: ConsolePage = {
  name: '/ui/rollouts/confirm', path: /^\/ui\/rollouts\/confirm$/, nav: 'rollouts', scope: 'admin', leader: true,
  async render(ctx) {
    const q = confirmQuery.safeParse({ ...ctx.query });
    if (!q.success) return { title: 'Rollouts', status: 400, body: '<p class="error">Which step? <a href="/ui/rollouts">Back to rollouts</a></p>' };
    const view = ctx.deps.fleet?.rollouts.view();
    const changed = view && view.id !== q.data.rollout ? `<p class="error" role="alert">The rollout you looked at (#${e(q.data.rollout)}) was replaced by #${e(view.id)}.</p>` : '';
    return confirmBody(ctx, q.data.step, changed);
  },
};
