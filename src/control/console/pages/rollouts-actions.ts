/**
 * POST /ui/rollouts/pause|resume|rollback (admin): the step confirmed on /ui/rollouts/confirm, done by
 * the rollout service's own pause/resume/rollback (as `vigia rollout pause` and POST
 * /v1/rollouts/current/pause), so it is written with the same audit row, with the session's name as
 * the actor. The form names the rollout the operator confirmed: when a newer publish replaced it
 * meanwhile, nothing is done and the confirmation is asked again for the new one.
 */
import { isVigiaError, VigiaError } from '../../../core/errors.js';
import type { ConsoleAction } from '../page.js';
import { e } from '../view.js';
import { confirmBody } from './rollouts.js';
import type { RolloutStep } from './rollouts-view.js';

function stepAction(step: RolloutStep): ConsoleAction {
  return {
    name: `/ui/rollouts/${step}`, path: new RegExp(`^/ui/rollouts/${step}$`), scope: 'admin', leader: true, maxBodyBytes: 1024,
    async handle(ctx) {
      const rollouts = ctx.deps.fleet?.rollouts;
      if (!rollouts) throw new VigiaError('VIGIA_ERR_NOT_FOUND');
      const confirmed = Number(ctx.form.get('rollout'));
      const view = rollouts.view();
      if (!view || view.id !== confirmed) {
        const why = `<p class="error" role="alert">Nothing was done: the rollout you confirmed (#${e(String(ctx.form.get('rollout') ?? '?').slice(0, 12))}) is not the current one any more.</p>`;
        return { page: confirmBody(ctx, step, why), nav: 'rollouts' };
      }
      try {
        await rollouts[step](ctx.session.name);
      } catch (err) {
        // A step the state machine refuses (it changed since the page was drawn): say why, one line.
        if (!isVigiaError(err)) throw err;
        return { page: { title: 'Rollouts', status: err.status, body: `<p class="error" role="alert">${e(err.code)}: ${e(err.message)}</p><p><a href="/ui/rollouts">Back to rollouts</a></p>` }, nav: 'rollouts' };
      }
      return { redirect: `/ui/rollouts?done=${step}` };
    },
  };
}

/** The three step actions. */
export const rolloutActions: readonly ConsoleAction[] = [stepAction('pause'), stepAction('resume'), stepAction('rollback')];
