/**
 * POST /ui/runs/preview and /ui/runs/start (scope `run`): a new fleet run in two steps. The preview is
 * the run service's dry run (as `vigia run --dry-run`: audited `run.dry_run`): how many hosts and
 * which, and the limits resolved against that count. The start is the run service's start with the
 * same fields (as `vigia run`: audited, with the session's name as the actor), then the run's page.
 * The targets are selected again at start: a host enrolled or retagged in between is in or out then,
 * as with the command line.
 */
import { plural } from '../../../core/plural.js';
import { isVigiaError, VigiaError } from '../../../core/errors.js';
import { count } from '../../reports/format.js';
import { planLimits } from '../../fleet-runs/run-state.js';
import type { ActionContext, ActionResult, ConsoleAction } from '../page.js';
import { e, href } from '../view.js';
import { selectorText } from './rollouts-view.js';
import { hiddenRunFields, newRunForm, readRunForm, runFormQuery, runRequestOf, type RunForm } from './runs-form.js';
import { paramsText } from './runs-view.js';

/** Most target names the preview lists (the dry run answers up to 1,000). */
export const PREVIEW_NAMES = 200;
const BODY_BYTES = 32 * 1024;

/** The form again with the refusal above it (one line, the catalog code first). */
function refused(ctx: ActionContext, f: RunForm, err: VigiaError): ActionResult {
  return { nav: 'runs', page: { title: 'New fleet run', status: err.status, body: `<p class="error" role="alert">${e(err.code)}: ${e(err.message)}</p>${newRunForm(f, ctx.session.csrf)}` } };
}

/** POST /ui/runs/preview: the dry run and the form that starts it. */
export const runPreviewAction: ConsoleAction = {
  name: '/ui/runs/preview', path: /^\/ui\/runs\/preview$/, scope: 'run', leader: true, maxBodyBytes: BODY_BYTES,
  async handle(ctx) {
    const runs = ctx.deps.fleet?.runs;
    if (!runs) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
    const f = readRunForm(ctx.form);
    let req, answer;
    try {
      req = runRequestOf(f, true);
      answer = await runs.start(req, ctx.session.name);
    } catch (err) {
      if (isVigiaError(err)) return refused(ctx, f, err);
      throw err;
    }
    const names = answer.hosts ?? [];
    const limits = planLimits(req, answer.targets);
    const more = answer.targets - Math.min(names.length, PREVIEW_NAMES);
    const body = `<p>Dry run: <strong>${e(req.action)}</strong> would run on <strong>${e(count(answer.targets))}</strong> ${answer.targets === 1 ? 'host' : 'hosts'}.</p>
<dl class="kv"><dt>Where</dt><dd>${e(selectorText(limits.selector))}</dd><dt>Parameters</dt><dd>${e(paramsText(req.params))}</dd>
<dt>Concurrency</dt><dd>${e(plural(limits.concurrency, 'host', { shown: count(limits.concurrency) }))} at once <span class="muted">(${e(f.concurrency)})</span>${req.ramp_up ? ', ramping up' : ''}</dd>
<dt>Max errors</dt><dd>stops after more than ${e(count(limits.maxErrors))} <span class="muted">(${e(f.maxErrors)})</span></dd><dt>Timeout per host</dt><dd>${e(f.timeout)}</dd></dl>
<h2>Targets</h2><ul class="names">${names.slice(0, PREVIEW_NAMES).map((n) => `<li><a href="${e(`/ui/hosts/${encodeURIComponent(n)}`)}">${e(n)}</a></li>`).join('')}${more > 0 ? `<li class="muted">and ${e(count(more))} more</li>` : ''}</ul>
<form method="post" action="/ui/runs/start" class="confirm"><input type="hidden" name="_csrf" value="${e(ctx.session.csrf)}">${hiddenRunFields(f)}
<button type="submit">Start ${e(req.action)} on ${e(count(answer.targets))} ${answer.targets === 1 ? 'host' : 'hosts'}</button> <a href="${href('/ui/runs', runFormQuery(f))}">Change</a></form>`;
    return { nav: 'runs', page: { title: `Preview: ${req.action}`, body } };
  },
};

/** POST /ui/runs/start: start the previewed run, then show it. */
export const runStartAction: ConsoleAction = {
  name: '/ui/runs/start', path: /^\/ui\/runs\/start$/, scope: 'run', leader: true, maxBodyBytes: BODY_BYTES,
  async handle(ctx) {
    const runs = ctx.deps.fleet?.runs;
    if (!runs) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
    const f = readRunForm(ctx.form);
    try {
      const started = await runs.start(runRequestOf(f, false), ctx.session.name);
      return { redirect: `/ui/runs/${started.run!.id}` };
    } catch (err) {
      if (isVigiaError(err)) return refused(ctx, f, err);
      throw err;
    }
  },
};
