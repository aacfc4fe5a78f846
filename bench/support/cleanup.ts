/**
 * What a benchmark script starts (servers, load-tool process groups, mounts, temp dirs), kept in one
 * registry so that every way out (normal exit, exception, Ctrl-C, SIGTERM) removes all of it.
 * Removal is synchronous because `process.on('exit')` handlers cannot wait.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';

/** A temp dir and the function that removes it (test/support/tmp.ts `tempDir()`'s shape). */
export interface TempDirHandle {
  readonly dir: string;
  readonly remove: () => void;
}

/** The registry `installCleanup` returns; scripts add to its sets and lists as they start things. */
export interface Cleanup {
  /** Child processes; `killAllSync` SIGKILLs those still running. Delete a child once it is stopped. */
  readonly children: Set<ChildProcess>;
  /** Process group ids (detached load tools); `killAllSync` SIGKILLs each whole group. */
  readonly groups: Set<number>;
  /** Mount points; `killAllSync` unmounts them newest first (`umount`, else `umount -l`). */
  readonly mounts: string[];
  /** Temp dirs; `killAllSync` removes them after everything above is gone. */
  readonly dirs: TempDirHandle[];
  /**
   * Add a synchronous release step for anything else (a redis-server, loop devices). Steps run on
   * every `killAllSync`, in the order added, after mounts and before dirs, so they must be idempotent
   * and must not throw.
   */
  onKill(release: () => void): void;
  /**
   * Release everything now, in this order: process groups, children, mounts, `onKill` steps, dirs;
   * empties the registry. Idempotent and never throws for something already gone.
   */
  killAllSync(): void;
}

/**
 * Create the registry and hook it to the process: `killAllSync` runs on 'exit', and on SIGINT or
 * SIGTERM after writing `${signal}: ${signalMessage}` through `log`, followed by exit status 130.
 * Call once per script.
 */
export function installCleanup(options: { readonly signalMessage: string; readonly log: (line: string) => void }): Cleanup {
  const children = new Set<ChildProcess>();
  const groups = new Set<number>();
  const mounts: string[] = [];
  const dirs: TempDirHandle[] = [];
  const steps: (() => void)[] = [];

  const killAllSync = (): void => {
    for (const g of groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    groups.clear();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children.clear();
    for (const m of mounts.splice(0).reverse()) {
      if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
    }
    for (const step of steps) step();
    for (const d of dirs.splice(0)) d.remove();
  };

  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      options.log(`${sig}: ${options.signalMessage}`);
      killAllSync();
      process.exit(130);
    });
  }
  return { children, groups, mounts, dirs, onKill: (release) => void steps.push(release), killAllSync };
}
