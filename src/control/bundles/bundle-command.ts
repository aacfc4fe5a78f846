/**
 * `vigia bundle keygen | publish | list`: sign check bundles and hand them to the control plane.
 *
 * publish reads the bundle directory, packs it (content addressed), asks the control plane for the
 * next release number and the release the fleet settled on, signs the new release AND its rollback
 * (the next number, with the settled release's content) with the offline key, and posts both. The
 * control plane never holds the signing key: it can steer a rollout and roll back to pre-signed
 * content, never install anything else.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { readConfigFile } from '../../core/config-file.js';
import { ENVELOPE_FORMAT, generateSigningKeyPair, keyId, packArchive, signRelease, type ReleaseEnvelope } from '../../core/contracts/bundle.js';
import { VigiaError } from '../../core/errors.js';
import { sanitiseLines } from '../../core/sanitise.js';
import { callServerJson, serverTarget } from '../client.js';
import type { BundleIndex } from './bundle-service.js';
import { readBundleDir } from './bundle-dir.js';
import { parseWaves } from '../rollouts/waves.js';
import { parseDurationFlag, parseWhere } from '../fleet-runs/selector.js';
import { plural } from '../../core/plural.js';

/** Parse `90d`, `12h`, `30m` to ms (release expiry). */
export function parseExpiry(text: string): number {
  const m = /^(\d{1,4})(d|h|m)$/.exec(text.trim());
  if (!m) throw new VigiaError('VIGIA_ERR_CONFIG', `--expires "${text.slice(0, 20)}": a duration such as 90d, 36h or 45m`);
  const ms = Number(m[1]) * ({ d: 86_400_000, h: 3_600_000, m: 60_000 } as const)[m[2] as 'd' | 'h' | 'm'];
  if (ms < 60_000 || ms > 3650 * 86_400_000) throw new VigiaError('VIGIA_ERR_CONFIG', '--expires must be between 1m and 3650d');
  return ms;
}

function serverOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'the control plane (vigia server)').env('VIGIA_SERVER_URL').makeOptionMandatory())
    .addOption(new Option('--token-file <path>', 'file holding an operator token (scope admin to publish)').env('VIGIA_TOKEN_FILE'));
}

/** Attach `vigia bundle` to the program. */
export function register(program: Command): void {
  const bundle = program.command('bundle').description('signed check bundles: keygen, publish (starts a rollout), list');

  bundle
    .command('keygen')
    .description('create an ed25519 signing key pair for bundles (keep the private key offline; give agents and the server the public key)')
    .requiredOption('--out <prefix>', 'writes <prefix>.key (private, mode 0600) and <prefix>.pub')
    .action(async (opts: { out: string }) => {
      const pair = generateSigningKeyPair();
      await writeFile(`${opts.out}.key`, pair.privateKeyPem, { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        throw new VigiaError('VIGIA_ERR_CONFIG', `${opts.out}.key: ${err.code === 'EEXIST' ? 'exists already (never overwritten)' : (err.code ?? 'cannot write')}`);
      });
      await writeFile(`${opts.out}.pub`, pair.publicKeyPem, { mode: 0o644 });
      process.stdout.write(`key id ${keyId(pair.publicKeyPem)}\nprivate key: ${opts.out}.key (keep offline)\npublic key:  ${opts.out}.pub (vigia agent --bundle-key, vigia server --bundle-public-key)\n`);
    });

  serverOptions(
    bundle
      .command('publish')
      .description('pack DIR (vigia-checks.yaml + scripts), sign it and its rollback, register it and start a rollout in waves')
      .argument('<dir>', 'the bundle directory (e.g. a git working copy)')
      .requiredOption('--key <file>', 'the private signing key (vigia bundle keygen)')
      .addOption(new Option('--expires <duration>', 'agents refuse the release after this (replay/freeze protection)').default('90d'))
      .addOption(new Option('--waves <list>', 'cumulative % of hosts per wave').default('1,10,100'))
      .addOption(new Option('--soak <duration>', 'how long each wave must stay healthy before the next').default('10m'))
      .addOption(new Option('--wave-timeout <duration>', 'hosts that have not moved by then count as stuck').default('15m'))
      .addOption(new Option('--max-failure-rate <pct>', 'install or check failure rate (above the rest of the fleet) that stops the rollout, %').default('5'))
      .addOption(new Option('--max-stuck-rate <pct>', 'share of stuck hosts (silent, or not moved by --wave-timeout) tolerated before the rollout holds, %; default: --max-failure-rate; 100 never holds'))
      .addOption(new Option('--where <k=v,...>', 'only the hosts this selects (as vigia run --where) are in the waves; every other host stays on the release it runs'))
      .addOption(new Option('--auto-rollback', 'roll back by itself when a wave fails (default: pause)'))
      .addOption(new Option('--dry-run', 'validate, pack and sign, print what would be published, publish nothing')),
  ).action(async (dir: string, opts: Record<string, unknown>) => {
    const waves = parseWaves(String(opts.waves));
    const soakMs = parseDurationFlag(String(opts.soak), '--soak');
    const waveTimeoutMs = parseDurationFlag(String(opts.waveTimeout), '--wave-timeout');
    const rate = Number(opts.maxFailureRate);
    const where = opts.where === undefined ? undefined : parseWhere(String(opts.where));
    if (!Number.isFinite(rate) || rate < 0 || rate > 100) throw new VigiaError('VIGIA_ERR_CONFIG', '--max-failure-rate: a percentage 0-100');
    const stuckRate = opts.maxStuckRate === undefined ? undefined : Number(opts.maxStuckRate);
    if (stuckRate !== undefined && (!Number.isFinite(stuckRate) || stuckRate < 0 || stuckRate > 100)) throw new VigiaError('VIGIA_ERR_CONFIG', '--max-stuck-rate: a percentage 0-100');
    const expiresMs = parseExpiry(String(opts.expires));
    const privateKeyPem = await readConfigFile(String(opts.key), '--key');
    const { createPublicKey } = await import('node:crypto');
    const publicKeyPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    const read = await readBundleDir(dir);
    const packed = packArchive(read.rawManifest, read.files);
    const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
    const index = await callServerJson<BundleIndex>(target, 'GET', '/v1/bundles');
    if (index.rolloutInProgress) throw new VigiaError('CONTROL_ERR_ROLLOUT_STATE', 'a rollout is in progress: let it complete, or roll it back (vigia rollout rollback), before publishing');
    const now = new Date();
    const base = { format: ENVELOPE_FORMAT, bundle: read.manifest.name, created_at: now.toISOString(), expires_at: new Date(now.getTime() + expiresMs).toISOString(), key_id: keyId(publicKeyPem) } as const;
    const release: ReleaseEnvelope = { ...base, release: index.latest + 1, sha256: packed.sha256, size: packed.bytes.length };
    const signed = signRelease(release, privateKeyPem);
    let revert;
    if (index.current) {
      revert = signRelease({ ...base, release: index.latest + 2, sha256: index.current.sha256, size: index.current.size, reverts: release.release }, privateKeyPem);
    }
    const summary = `bundle ${release.bundle} release ${release.release} (${packed.sha256.slice(0, 12)}, ${plural(read.files.length, 'file')}, ${plural(read.manifest.checks.length, 'check')})${index.current ? `, rollback pre-signed as ${release.release + 1} (content of ${index.current.release})` : ''}; waves ${waves.join(',')} %, soak ${String(opts.soak)}${where ? `, only hosts where ${String(opts.where)}` : ''}`;
    if (opts.dryRun) {
      process.stdout.write(`dry run: would publish ${summary}\n`);
      return;
    }
    const res = await callServerJson<{ release: number; revert: number | null; rollout: number }>(target, 'POST', '/v1/bundles', {
      release: signed, ...(revert ? { revert } : {}), archive: packed.bytes.toString('base64'),
      rollout: { waves, soak_ms: soakMs, wave_timeout_ms: waveTimeoutMs, max_failure_rate: rate / 100, ...(stuckRate !== undefined ? { max_stuck_rate: stuckRate / 100 } : {}), ...(where ? { where } : {}), auto_rollback: Boolean(opts.autoRollback) },
    });
    process.stdout.write(`published ${summary}\nrollout ${res.rollout} started: vigia rollout status --watch\n`);
  });

  serverOptions(bundle.command('list').description('releases, newest first')).action(async (opts: Record<string, unknown>) => {
    const target = await serverTarget(String(opts.server), opts.tokenFile as string | undefined);
    const index = await callServerJson<BundleIndex>(target, 'GET', '/v1/bundles');
    const lines = [`fleet settled on: ${index.current ? `release ${index.current.release} (${index.current.sha256.slice(0, 12)})` : 'none'}${index.rolloutInProgress ? '; a rollout is in progress' : ''}`];
    for (const r of index.releases) lines.push(`${String(r.release).padStart(5)}  ${r.bundle}  ${r.sha256.slice(0, 12)}  ${r.reverts ? `rollback of ${r.reverts}` : 'release'}  published ${r.published_at} by ${r.published_by}  expires ${r.expires_at}`);
    process.stdout.write(`${sanitiseLines(lines.join('\n'))}\n`);
  });
}
