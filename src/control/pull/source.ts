/** What every pull source (agent JSON API, node_exporter /metrics) offers the pull loop, and its HTTP GET. */
import type { HostReport } from '../../core/contracts/host-report.js';
import { redactUrl } from '../../core/redact.js';

/** One pulled host: collect() scrapes it once and builds its report (keeping whatever state rates need). */
export interface PullSource {
  readonly host: string;
  readonly kind: 'agent' | 'node_exporter';
  /** Scrape and build the report; rejects on network errors, non-200 answers, or bodies it cannot read. */
  collect(signal: AbortSignal): Promise<HostReport>;
}

/** Largest body a target may answer (node_exporter with thousands of mounts is a few MiB). */
export const MAX_PULL_BODY_BYTES = 32 * 1024 * 1024;

/** An answer the pull loop could not use; `status` is the HTTP status, 0 for a body problem. */
export class PullError extends Error {
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'PullError';
  }
}

/**
 * GET url with an optional bearer token, resolving with the body text on 200. Rejects with PullError on
 * another status or a body over MAX_PULL_BODY_BYTES, and with the signal's reason when aborted.
 */
export async function pullGet(url: string, token: string | null, signal: AbortSignal, accept = '*/*'): Promise<string> {
  const headers: Record<string, string> = { accept };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers, signal, redirect: 'error' });
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    throw new PullError(`GET ${redactUrl(url)} answered ${res.status}`, res.status);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_PULL_BODY_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new PullError(`GET ${redactUrl(url)}: body of ${declared} bytes is over ${MAX_PULL_BODY_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_PULL_BODY_BYTES) throw new PullError(`GET ${redactUrl(url)}: body over ${MAX_PULL_BODY_BYTES} bytes`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
