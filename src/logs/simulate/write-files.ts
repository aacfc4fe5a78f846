/**
 * `vigia logs simulate --out DIR`: the same nodes' streams written as one access log per node
 * (`DIR/sim-0001.access.log` ...) instead of sent, for shipper tests, imports and GoAccess; plus
 * `DIR/manifest.json` with the truth about them (lines by kind per file), which a test compares with what
 * a parser, a store or GoAccess counted. Files are written whole; an existing file is refused, not appended to.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { SimFormat } from './access-line.js';
import { buildPopulation } from './population.js';
import { createTraffic, type LineKind, type TrafficShares } from './traffic-model.js';

/** What to write. */
export interface WriteFilesOptions {
  readonly dir: string;
  readonly nodes: number;
  /** Lines in all, split evenly over the nodes. */
  readonly lines: number;
  /** Total lines per second of log time over all nodes (timestamps advance by it). */
  readonly rate: number;
  readonly seed: number;
  readonly format: SimFormat;
  readonly startMs: number;
  readonly shares?: Partial<TrafficShares>;
}

/** One file of the manifest. */
export interface FileManifest {
  readonly file: string;
  readonly server: string;
  /** 'apache' or 'nginx': whose escaping habits the file follows. */
  readonly flavour: string;
  readonly lines: number;
  readonly bytes: number;
  readonly kinds: Readonly<Record<LineKind, number>>;
  readonly first: string | null;
  readonly last: string | null;
}

/** `manifest.json`. */
export interface FilesManifest {
  readonly format: SimFormat;
  readonly seed: number;
  readonly lines: number;
  readonly kinds: Readonly<Record<LineKind, number>>;
  readonly files: readonly FileManifest[];
}

/** Write the files and the manifest; resolves with the manifest. */
export async function writeNodeFiles(o: WriteFilesOptions): Promise<FilesManifest> {
  await mkdir(o.dir, { recursive: true });
  const population = buildPopulation({ seed: o.seed });
  const files: FileManifest[] = [];
  const total: Record<LineKind, number> = { request: 0, bot: 0, probe: 0, bad: 0 };
  for (let i = 0; i < o.nodes; i++) {
    const server = `sim-${String(i + 1).padStart(4, '0')}`;
    const file = `${server}.access.log`;
    const n = Math.floor(o.lines / o.nodes) + (i < o.lines % o.nodes ? 1 : 0);
    const traffic = createTraffic({ population, node: i, startMs: o.startMs, ratePerSecond: o.rate / o.nodes, format: o.format, ...(o.shares ? { shares: o.shares } : {}) });
    const out = createWriteStream(join(o.dir, file), { flags: 'wx', highWaterMark: 1 << 20 });
    const opened = once(out, 'open');
    await Promise.race([opened, once(out, 'error').then(([e]) => Promise.reject(e as Error))]);
    const kinds: Record<LineKind, number> = { request: 0, bot: 0, probe: 0, bad: 0 };
    let bytes = 0;
    let first: number | null = null;
    let last: number | null = null;
    let buf = '';
    for (let k = 0; k < n; k++) {
      const line = traffic.next();
      kinds[line.kind]++;
      first ??= line.ts;
      last = line.ts;
      buf += line.text;
      buf += '\n';
      if (buf.length >= 1 << 20) {
        bytes += buf.length;
        if (!out.write(buf, 'latin1')) await once(out, 'drain');
        buf = '';
      }
    }
    bytes += buf.length;
    out.end(buf, 'latin1');
    await once(out, 'finish');
    for (const k of Object.keys(kinds) as LineKind[]) total[k] += kinds[k];
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    files.push({ file, server, flavour: traffic.flavour, lines: n, bytes, kinds, first: iso(first), last: iso(last) });
  }
  const manifest: FilesManifest = { format: o.format, seed: o.seed, lines: o.lines, kinds: total, files };
  await writeFile(join(o.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'w' });
  return manifest;
}
