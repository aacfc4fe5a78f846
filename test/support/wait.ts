/** Waiting in tests for something that happens on its own time (a server up, a result in, a file written). */

/**
 * Polls `fn` every `everyMs` until it returns a truthy value, which it resolves with; rejects after
 * `timeoutMs` with `timed out after N ms waiting for <what>` (and the last error `fn` threw, if any:
 * a throw counts as "not yet"). The timeout is a deadline against a hang, not a timing assertion:
 * give it room for a loaded machine.
 */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}
