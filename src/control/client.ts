/**
 * A small client of the control plane's operator API, for CLI commands run with `--server URL`
 * (the embedded store can only be open in one process: a running `vigia server` owns it).
 */
import { readFile } from 'node:fs/promises';
import { VigiaError } from '../core/errors.js';

/** Where the server is and the operator token to use. */
export interface ServerTarget {
  readonly url: string;
  readonly token: string;
}

/** Read the raw operator token from a file (first non-empty line) and check the URL. */
export async function serverTarget(url: string, tokenFile: string | undefined): Promise<ServerTarget> {
  if (!/^https?:\/\/[^/\s]+/.test(url)) throw new VigiaError('VIGIA_ERR_CONFIG', `--server must be an http(s):// URL, got "${url.slice(0, 100)}"`);
  if (!tokenFile) throw new VigiaError('VIGIA_ERR_CONFIG', '--server needs --token-file (a file holding an operator token with scope read, or admin to enrol)');
  let text: string;
  try {
    text = await readFile(tokenFile, 'utf8');
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `--token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const token = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (!token) throw new VigiaError('VIGIA_ERR_CONFIG', `--token-file ${tokenFile} holds no token`);
  if (token.startsWith('sha256:')) throw new VigiaError('VIGIA_ERR_CONFIG', `--token-file ${tokenFile} holds a token hash; the client needs the token itself`);
  return { url: url.replace(/\/+$/, ''), token };
}

/** Call the API; answers other than 2xx become an Error carrying the server's code and message. */
export async function callServer(target: ServerTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ contentType: string; text: string }> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (err) {
    throw new Error(`cannot reach ${target.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text.slice(0, 500);
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      if (e?.code) detail = `${e.code}: ${e.message ?? ''}`;
    } catch {
      /* not JSON: keep the text */
    }
    throw new Error(`${method} ${path} answered ${res.status}: ${detail}`);
  }
  return { contentType: res.headers.get('content-type') ?? '', text };
}
