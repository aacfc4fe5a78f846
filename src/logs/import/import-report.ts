/**
 * What `vigia logs import` tells the user: a progress line while it runs and one summary at the end (lines
 * read, stored, rejected by reason with a sample or two; how far it got when stopped). Pure: numbers in,
 * text out. Samples are logged lines, which an attacker chooses: they are sanitised and cut.
 */
import { plural } from '../../core/plural.js';
import { sanitiseText } from '../../core/sanitise.js';
import type { TallySummary } from '../parse/parse-tally.js';

/** How far an import got. */
export interface ImportProgress {
  /** Files to import, and which one is being read (0-based). */
  readonly files: readonly { readonly path: string; readonly size: number }[];
  readonly fileIndex: number;
  /** Bytes of the current file read (compressed bytes for gzip). */
  readonly fileBytesRead: number;
  /** Lines read in all files so far (parsed + rejected). */
  readonly lines: number;
  /** Lines the store has accepted. */
  readonly stored: number;
  readonly rejected: number;
  readonly elapsedMs: number;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** A byte count as people read it (`12.3 MiB`). */
export function bytesText(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Lines per second, or `-` before a tenth of a second has passed. */
export function rateText(lines: number, ms: number): string {
  return ms < 100 ? '-' : `${n((lines * 1000) / ms)} lines/s`;
}

/** One progress line (no line end): file k of N, its share read, lines, rate, rejected. */
export function progressLine(p: ImportProgress): string {
  const f = p.files[p.fileIndex];
  const share = f && f.size > 0 ? `${Math.min(100, Math.floor((p.fileBytesRead / f.size) * 100))}% of ${bytesText(f.size)}` : 'reading';
  const which = p.files.length > 1 ? `${p.fileIndex + 1}/${p.files.length} ` : '';
  return `importing ${which}${sanitiseText(f?.path ?? '')}: ${share}, ${plural(p.lines, 'line', { shown: n(p.lines) })} (${rateText(p.lines, p.elapsedMs)}), ${n(p.stored)} stored, ${n(p.rejected)} rejected`;
}

/** Samples shown per rejection reason, and characters of each. */
const SAMPLES_SHOWN = 2;
const SAMPLE_CHARS = 160;

/**
 * The summary printed at the end, ending in a newline. `stopped` (Ctrl-C) says where the import stopped:
 * the file, its line and byte, and what was not read; every line read before was stored or counted.
 */
export function importSummary(p: ImportProgress, tally: TallySummary, stopped: { readonly fileLine: number } | null): string {
  const secs = (p.elapsedMs / 1000).toFixed(1);
  const read = p.lines;
  const head = stopped
    ? `stopped by Ctrl-C after ${secs} s`
    : `imported ${plural(p.files.length, 'file')} in ${secs} s`;
  const out = [`${head}: read ${plural(read, 'line', { shown: n(read) })} (${rateText(read, p.elapsedMs)}), stored ${n(p.stored)}, rejected ${n(p.rejected)}`];
  for (const [reason, count] of Object.entries(tally.reasons)) {
    const samples = (tally.samples[reason as keyof typeof tally.samples] ?? []).slice(0, SAMPLES_SHOWN).map((s) => `"${sanitiseText([...s].length > SAMPLE_CHARS ? `${[...s].slice(0, SAMPLE_CHARS - 1).join('')}…` : s)}"`);
    out.push(`  rejected ${reason}: ${n(count ?? 0)}${samples.length ? `, e.g. ${samples.join(', ')}` : ''}`);
  }
  if (stopped) {
    const f = p.files[p.fileIndex];
    const rest = p.files.length - p.fileIndex - 1;
    out.push(`  ${sanitiseText(f?.path ?? '')} was read up to line ${n(stopped.fileLine)} (byte ${n(p.fileBytesRead)} of ${n(f?.size ?? 0)}); ${rest > 0 ? `${plural(rest, 'more file')} not read. ` : ''}Importing it again stores its first lines twice.`);
  }
  return `${out.join('\n')}\n`;
}
