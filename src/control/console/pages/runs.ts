/**
 * The fleet-runs pages: the list of runs with the new-run form (sessions with scope `run`), and one
 * run: what it is, its progress and its per-host results, live through /ui/runs/ID/events while it
 * runs. Both read the run service (as `vigia run` and GET /v1/runs do).
 */
import { isVigiaError } from '../../../core/errors.js';
import { RESULT_PAGE } from '../../fleet-runs/run-state.js';
import type { ConsolePage } from '../page.js';
import { e, href } from '../view.js';
import { NO_FLEET } from './rollouts.js';
import { newRunForm, readRunForm } from './runs-form.js';
import { resultsTable, runFacts, runIsLive, runProgress, runsTable } from './runs-view.js';

/** The id of a run page's progress panel (the stream swaps it). */
export const RUN_PROGRESS_ID = 'run-progress';
/** The id of a run page's results table body (the stream appends to it). */
export const RUN_RESULTS_ID = 'run-results';

/** GET /ui/runs: runs, newest first, and (scope `run`) the new-run form, pre-filled from the query. */
export const runsPage: ConsolePage = {
  name: '/ui/runs', path: /^\/ui\/runs$/, nav: 'runs', leader: true,
  async render(ctx) {
    const fleet = ctx.deps.fleet;
    if (!fleet) return { title: 'Fleet runs', body: NO_FLEET };
    const runs = await fleet.runs.list();
    const form = ctx.can('run')
      ? `<section aria-labelledby="new-run-h"><h2 id="new-run-h">New run</h2><p class="muted">First a dry run shows which hosts it would reach and the limits resolved; then you start it.</p>${newRunForm(readRunForm(ctx.query), ctx.session.csrf)}</section>`
      : '';
    return { title: 'Fleet runs', body: `${form}<section aria-labelledby="runs-h"><h2 id="runs-h">Runs</h2>${runsTable(runs)}</section>` };
  },
};

/** GET /ui/runs/ID[?after=N]: one run, its progress and results (RESULT_PAGE lines a page). */
export const runPage: ConsolePage = {
  name: '/ui/runs/:id', path: /^\/ui\/runs\/([0-9]{1,9})$/, nav: 'runs', leader: true,
  async render(ctx) {
    const fleet = ctx.deps.fleet;
    if (!fleet) return { title: 'Fleet run', body: NO_FLEET };
    const id = Number(ctx.params[0]);
    const after = typeof ctx.query.after === 'string' && /^[0-9]{1,9}$/.test(ctx.query.after) ? Number(ctx.query.after) : 0;
    let view;
    try {
      view = await fleet.runs.view(id);
    } catch (err) {
      if (isVigiaError(err, 'CONTROL_ERR_UNKNOWN_RUN')) return { title: 'Fleet run', status: 404, body: `<p>No run #${e(id)}. <a href="/ui/runs">All runs</a></p>` };
      throw err;
    }
    const page = await fleet.runs.results(id, after, 0);
    const live = runIsLive(view);
    const pager = [
      after > 0 ? `<a href="${href(`/ui/runs/${id}`)}">First results</a>` : '',
      page.results.length === RESULT_PAGE ? `<a rel="next" href="${href(`/ui/runs/${id}`, { after: page.next })}">Next ${e(RESULT_PAGE)} results</a>` : '',
    ].filter(Boolean);
    // Live rows are appended only while this page shows the newest lines.
    const stream = live && page.results.length < RESULT_PAGE ? ` data-live="${href(`/ui/runs/${id}/events`, { after: page.next })}"` : '';
    const body = `${runFacts(view)}
<div${stream}>
<section aria-labelledby="progress-h"><h2 id="progress-h">Progress</h2><div id="${RUN_PROGRESS_ID}" aria-live="polite">${runProgress(view)}</div></section>
<section aria-labelledby="results-h"><h2 id="results-h">Results</h2>${resultsTable(RUN_RESULTS_ID, page.results)}${page.results.length === 0 && !live ? '<p class="empty">No host finished.</p>' : ''}</section>
</div>${pager.length > 0 ? `<nav class="pager" aria-label="Result pages">${pager.join('')}</nav>` : ''}
<p><a href="/ui/runs">All runs</a></p>`;
    return { title: `Fleet run #${id}: ${view.action}`, body };
  },
};
