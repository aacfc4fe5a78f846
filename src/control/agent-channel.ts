/**
 * The control plane's side of the agents' long-poll: who is waiting, and the fleet-run tasks queued
 * for each host. A poll that finds nothing new parks here until `wake(host)` (a wave moved it, a task
 * was queued) or its wait runs out. In memory, per process: see docs/fleet-changes.md ("Replicas").
 */
import type { AgentTask } from '../core/contracts/agent-poll.js';

/** Why a parked poll returned. */
export type WakeReason = 'wake' | 'timeout' | 'closed';

/** The long-poll registry. */
export interface AgentChannel {
  /** Park a poll of `hostId` for up to `ms`; resolves early on wake, on `signal` abort or close. */
  wait(hostId: number, ms: number, signal?: AbortSignal): Promise<WakeReason>;
  /** Release the parked polls of these hosts (all when omitted). */
  wake(hostIds?: Iterable<number>): void;
  /** Queue a task for a host and wake its poll. */
  pushTask(hostId: number, task: AgentTask): void;
  /** Take (remove) up to `max` queued tasks of a host. */
  takeTasks(hostId: number, max?: number): AgentTask[];
  /** Drop a queued task not yet taken (timed out, cancelled); true when it was still queued. */
  dropTask(hostId: number, taskId: string): boolean;
  /** Whether a host has queued tasks. */
  hasTasks(hostId: number): boolean;
  /** Polls parked right now. */
  waiting(): number;
  /** Answer every parked poll (shutdown). */
  close(): void;
}

/** A new, empty channel. */
export function createAgentChannel(): AgentChannel {
  const waiters = new Map<number, Set<(r: WakeReason) => void>>();
  const tasks = new Map<number, AgentTask[]>();
  let parked = 0;
  let closed = false;

  const release = (hostId: number, reason: WakeReason): void => {
    const set = waiters.get(hostId);
    if (!set) return;
    waiters.delete(hostId);
    for (const fn of set) fn(reason);
  };

  return {
    wait(hostId, ms, signal) {
      if (closed) return Promise.resolve('closed');
      return new Promise<WakeReason>((resolve) => {
        let done = false;
        const finish = (r: WakeReason): void => {
          if (done) return;
          done = true;
          parked--;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const set = waiters.get(hostId);
          if (set) {
            set.delete(finish);
            if (set.size === 0) waiters.delete(hostId);
          }
          resolve(r);
        };
        const onAbort = (): void => finish('closed');
        const timer = setTimeout(() => finish('timeout'), ms);
        parked++;
        let set = waiters.get(hostId);
        if (!set) waiters.set(hostId, (set = new Set()));
        set.add(finish);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    wake(hostIds) {
      if (hostIds === undefined) {
        for (const id of [...waiters.keys()]) release(id, 'wake');
        return;
      }
      for (const id of hostIds) release(id, 'wake');
    },
    pushTask(hostId, task) {
      let q = tasks.get(hostId);
      if (!q) tasks.set(hostId, (q = []));
      q.push(task);
      release(hostId, 'wake');
    },
    takeTasks(hostId, max = 100) {
      const q = tasks.get(hostId);
      if (!q || q.length === 0) return [];
      const out = q.splice(0, max);
      if (q.length === 0) tasks.delete(hostId);
      return out;
    },
    dropTask(hostId, taskId) {
      const q = tasks.get(hostId);
      if (!q) return false;
      const i = q.findIndex((t) => t.id === taskId);
      if (i === -1) return false;
      q.splice(i, 1);
      if (q.length === 0) tasks.delete(hostId);
      return true;
    },
    hasTasks: (hostId) => (tasks.get(hostId)?.length ?? 0) > 0,
    waiting: () => parked,
    close() {
      closed = true;
      for (const id of [...waiters.keys()]) release(id, 'closed');
    },
  };
}
