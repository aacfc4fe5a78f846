/**
 * `vigia rollout status [--watch] | pause | resume | rollback | drift`: steer the current rollout of
 * a check bundle on a running control plane.
 */
import { Command, Option } from 'commander';
import { VigiaError } from '../../core/errors.js';
import { sanitiseJson } from '../../core/sanitise.js';
import { callServerJson, serverTarget, type ServerTarget } from '../client.js';
import type { DriftRow, RolloutView } from './rollout-service.js';
import { renderDrift, renderRolloutStatus, watchFrame } from './render.js';

const FINAL = new Set(['completed', 'rolled_back', 'superseded']);

function serverOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'the control plane (vigia server)').env('VIGIA_SERVER_URL').makeOptionMandatory())
    .addOption(new Option('--token-file <path>', 'file holding an operator token (read; admin to pause, resume, roll back)').env('VIGIA_TOKEN_FILE'))
    .addOption(new Option('--json', 'print the JSON the API answers'));
}

async function target(opts: Record<string, unknown>): Promise<ServerTarget> {
  return serverTarget(String(opts.server), opts.tokenFile as string | undefined);
}

async function current(t: ServerTarget): Promise<RolloutView> {
  return callServerJson<RolloutView>(t, 'GET', '/v1/rollouts/current');
}

function frame(view: RolloutView, json: boolean, color: boolean): string {
  return json ? `${sanitiseJson(JSON.stringify(view, null, 2))}\n` : `${renderRolloutStatus(view, { color })}\n`;
}

function show(view: RolloutView, json: boolean, color: boolean): void {
  process.stdout.write(frame(view, json, color));
}

/** Attach `vigia rollout` to the program. */
export function register(program: Command): void {
  const rollout = program.command('rollout').description('the current check-bundle rollout: status (live with --watch), pause, resume, rollback, drift');

  serverOptions(
    rollout
      .command('status')
      .description('waves, hosts moved, failure rates against the rest of the fleet, the gate\'s last reason')
      .addOption(new Option('--watch', 'redraw every second until the rollout completes, is rolled back or paused (without a terminal: print only what changed)'))
      .addOption(new Option('--interval <ms>', 'redraw interval with --watch').default('1000')),
  ).action(async (opts: Record<string, unknown>) => {
    const t = await target(opts);
    const color = Boolean(process.stdout.isTTY) && !opts.json;
    if (!opts.watch) return show(await current(t), Boolean(opts.json), color);
    const interval = Math.max(200, Number(opts.interval) || 1000);
    // Bounded: a rollout that never settles is still watched for at most a day.
    let last: string | undefined;
    for (let i = 0; i < (86_400_000 / interval); i++) {
      const view = await current(t);
      const next = frame(view, Boolean(opts.json), color);
      const out = watchFrame(last, next, Boolean(process.stdout.isTTY) && !opts.json);
      last = next;
      if (out !== null) process.stdout.write(out);
      if (FINAL.has(view.state) || view.state === 'paused') {
        if (view.state === 'paused' || view.state === 'rolled_back') process.exitCode = 1;
        return;
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  });

  for (const [step, what] of [['pause', 'stop moving hosts (hosts keep what they run)'], ['resume', 'go on with the current wave'], ['rollback', 'move every host that got the new release to the pre-signed rollback (the previous content)']] as const) {
    serverOptions(rollout.command(step).description(what)).action(async (opts: Record<string, unknown>) => {
      const t = await target(opts);
      const view = await callServerJson<RolloutView>(t, 'POST', `/v1/rollouts/current/${step}`);
      show(view, Boolean(opts.json), Boolean(process.stdout.isTTY) && !opts.json);
    });
  }

  serverOptions(rollout.command('drift').description('which hosts run which release; hosts that did not move, and why')).action(async (opts: Record<string, unknown>) => {
    const t = await target(opts);
    const res = await callServerJson<{ rollout: RolloutView | null; releases: DriftRow[] }>(t, 'GET', '/v1/drift');
    if (opts.json) {
      process.stdout.write(`${sanitiseJson(JSON.stringify(res, null, 2))}\n`);
      return;
    }
    if (!res.rollout && res.releases.length === 0) throw new VigiaError('CONTROL_ERR_NO_ROLLOUT', 'no host and no release yet');
    process.stdout.write(`${renderDrift(res.releases, { color: Boolean(process.stdout.isTTY) })}\n`);
  });
}
