/**
 * podman for tests: build the shipped agent image with scripts/build-agent-image.sh and run
 * containers with the flags this machine needs (runc, cgroupfs, bounded ulimits). No Docker engine
 * and no registry here: the base image is imported from a root filesystem assembled locally.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requireBinary } from './binaries.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Global podman flags this machine needs (no systemd, so cgroupfs; runc rather than crun). */
export const PODMAN_GLOBAL_FLAGS: readonly string[] = ['--runtime', 'runc', '--cgroup-manager=cgroupfs'];
/** `run` flags this machine needs: the inherited nofile/nproc limits are higher than runc may set. */
export const PODMAN_RUN_LIMITS: readonly string[] = ['--ulimit', 'nofile=1024:20000', '--ulimit', 'nproc=1024:4096'];

/** Output of one podman call. */
export interface PodmanResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Absolute path of podman; fails (never skips) with the install hint when podman or runc is missing. */
export function requirePodman(): string {
  try {
    requireBinary('runc');
    return requireBinary('podman');
  } catch (err) {
    throw new Error(`${(err as Error).message}\nthe agent container test needs podman and runc: apt-get install -y podman runc`);
  }
}

/** Run `podman <global flags> ...args` and wait (at most `timeoutMs`); never throws on a non-zero exit. */
export function podman(args: readonly string[], timeoutMs = 60_000): Promise<PodmanResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(requirePodman(), [...PODMAN_GLOBAL_FLAGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`podman ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Like podman(), but throws with podman's output when it exits non-zero; resolves with stdout. */
export async function podmanOk(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * Build the agent image with scripts/build-agent-image.sh (cached: a few seconds when nothing
 * changed) from the dist/ already built (scripts/test.sh builds it; recompiling here would rewrite
 * files other test files are running). Resolves with the image name and how long the build took.
 */
export function buildAgentImage(timeoutMs = 300_000): { image: string; seconds: number; log: string } {
  requirePodman();
  const started = Date.now();
  const r = spawnSync('bash', ['scripts/build-agent-image.sh', '--no-build-dist'], { cwd: REPO, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`scripts/build-agent-image.sh failed to run: ${r.error.message}\n${r.stderr ?? ''}`);
  if (r.status !== 0) throw new Error(`scripts/build-agent-image.sh exited ${r.status}:\n${r.stdout}${r.stderr}`);
  const image = r.stdout.trim().split('\n').pop() ?? '';
  if (!image) throw new Error(`scripts/build-agent-image.sh printed no image name:\n${r.stderr}`);
  return { image, seconds: (Date.now() - started) / 1000, log: r.stderr };
}

/** `podman inspect` of one container or image, parsed. */
export async function inspect(nameOrId: string, kind: 'container' | 'image' = 'container'): Promise<any> {
  const out = await podmanOk([kind, 'inspect', nameOrId]);
  const arr = JSON.parse(out) as unknown[];
  if (!Array.isArray(arr) || arr.length !== 1) throw new Error(`podman ${kind} inspect ${nameOrId}: expected one object`);
  return arr[0];
}

/** Remove a container (and volumes by name), ignoring ones that are already gone. */
export async function removeContainer(name: string, volumes: readonly string[] = []): Promise<void> {
  await podman(['rm', '-f', '-v', '-t', '2', name], 30_000);
  for (const v of volumes) await podman(['volume', 'rm', '-f', v], 30_000);
}

/**
 * Turn the documented `docker run ...` line (one shell command, `\` continuations, no quotes) into
 * argv words, dropping the leading `docker`.
 */
export function parseRunLine(text: string): string[] {
  const words = text.replace(/\\\n/g, ' ').trim().split(/\s+/);
  if (words[0] !== 'docker' || words[1] !== 'run') throw new Error(`not a "docker run" line: ${text.slice(0, 80)}`);
  if (/["'$`;|&]/.test(text)) throw new Error('the documented run line must stay free of quotes and shell syntax so that it can be checked word by word');
  return words.slice(1);
}

/** The `docker run` block of deploy/agent/README.md's "## Run" section: the line operators copy. */
export function documentedAgentRunLine(): string {
  const run = readFileSync(`${REPO}/deploy/agent/README.md`, 'utf8').split(/^## Run\s*$/m)[1];
  const block = run && /```sh\n(docker run[^`]*?)\n```/.exec(run);
  if (!block) throw new Error('deploy/agent/README.md: no ```sh block starting with "docker run" under "## Run"');
  return block[1]!;
}
