/**
 * The console's static files: htmx and uPlot vendored from npm (pinned in package.json, read from
 * node_modules once at start, never from a CDN) and our own stylesheet and script. Each is served
 * under `/ui/assets/<hash>/<name>` with a content hash in the path, so it can be cached forever
 * (`immutable`) and a new build is a new URL.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { VigiaError } from '../../core/errors.js';
import { CONSOLE_CSS } from './assets/console-css.js';
import { CONSOLE_JS } from './assets/console-js.js';

/** One static file. */
export interface Asset {
  readonly name: string;
  readonly type: string;
  readonly body: Buffer;
  /** `/ui/assets/<hash>/<name>`. */
  readonly url: string;
}

/** The console's static files by URL, and by name for the layout. */
export interface ConsoleAssets {
  readonly byUrl: ReadonlyMap<string, Asset>;
  /** The URL of an asset by name (`htmx.min.js`, `uPlot.iife.min.js`, `uPlot.min.css`, `console.css`, `console.js`). */
  url(name: string): string;
}

/** The vendored files: name, npm specifier, content type. */
const VENDORED = [
  ['htmx.min.js', 'htmx.org/dist/htmx.min.js', 'text/javascript; charset=utf-8'],
  ['uPlot.iife.min.js', 'uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  ['uPlot.min.css', 'uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
] as const;
/** A vendored file larger than this is refused at start (htmx 2.0.11 is 52 KB, uPlot 1.6.32 51 KB). */
const MAX_ASSET_BYTES = 512 * 1024;

/** Build the asset table from file contents (pure). */
export function assetTable(files: ReadonlyArray<{ name: string; type: string; body: Buffer }>): ConsoleAssets {
  const byUrl = new Map<string, Asset>();
  const byName = new Map<string, string>();
  for (const f of files) {
    const hash = createHash('sha256').update(f.body).digest('hex').slice(0, 12);
    const url = `/ui/assets/${hash}/${f.name}`;
    byUrl.set(url, { ...f, url });
    byName.set(f.name, url);
  }
  return {
    byUrl,
    url: (name) => {
      const u = byName.get(name);
      if (!u) throw new Error(`no console asset named ${name}`);
      return u;
    },
  };
}

/** Read the vendored files from node_modules (bounded) and add ours. */
export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  const require = createRequire(import.meta.url);
  const files: Array<{ name: string; type: string; body: Buffer }> = [];
  for (const [name, specifier, type] of VENDORED) {
    let path: string;
    try {
      path = require.resolve(specifier);
    } catch (err) {
      throw new VigiaError('VIGIA_ERR_CONFIG', `web console: ${specifier} is not installed (npm ci)`, { cause: err });
    }
    const size = (await stat(path)).size;
    if (size > MAX_ASSET_BYTES) throw new VigiaError('VIGIA_ERR_CONFIG', `web console: ${specifier} is ${size} bytes, more than ${MAX_ASSET_BYTES}`);
    files.push({ name, type, body: await readFile(path) });
  }
  files.push({ name: 'console.css', type: 'text/css; charset=utf-8', body: Buffer.from(CONSOLE_CSS) });
  files.push({ name: 'console.js', type: 'text/javascript; charset=utf-8', body: Buffer.from(CONSOLE_JS) });
  return assetTable(files);
}
