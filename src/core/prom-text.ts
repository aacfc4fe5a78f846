/**
 * A small, lenient reader of the Prometheus text exposition format (0.0.4) for scraping exporters
 * (node_exporter) from the control plane. Unlike the agent's strict checker (src/agent/node-metrics.ts,
 * which lints our own output), this one takes a foreign exporter's output as it is: comments, HELP and
 * TYPE lines are skipped, a line that does not parse is reported and skipped, never fatal, because one
 * odd series must not cost a whole host's report.
 */

/** One sample: metric name, labels, value (NaN and ±Inf included). */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Samples read, and the lines that could not be read (`line N: ...`, at most 20). */
export interface PromParseResult {
  samples: PromSample[];
  errors: string[];
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseLabels(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  LABEL_RE.lastIndex = 0;
  while (LABEL_RE.lastIndex < text.length) {
    const m = LABEL_RE.exec(text);
    if (!m) return /^\s*$/.test(text.slice(LABEL_RE.lastIndex)) ? out : null;
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (m[3] === '') break;
  }
  return out;
}

/** Go's ParseFloat as Prometheus uses it: NaN and Inf in any case; null when not a number. */
export function parsePromValue(s: string): number | null {
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  const n = Number(s);
  return s.trim() !== '' && !Number.isNaN(n) ? n : null;
}

/** Parse an exposition (pure). Never throws; see PromParseResult. */
export function parsePromText(text: string): PromParseResult {
  const samples: PromSample[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = SAMPLE_RE.exec(line);
    const labels = m ? parseLabels(m[2] ?? '') : null;
    const value = m ? parsePromValue(m[3]!) : null;
    if (!m || labels === null || value === null) {
      if (errors.length < 20) errors.push(`line ${i + 1}: unparsable sample: ${line.slice(0, 200)}`);
      continue;
    }
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, errors };
}

/** Samples grouped by metric name (pure); order within a name is the exposition's. */
export function groupByName(samples: readonly PromSample[]): Map<string, PromSample[]> {
  const m = new Map<string, PromSample[]>();
  for (const s of samples) {
    const list = m.get(s.name);
    if (list) list.push(s);
    else m.set(s.name, [s]);
  }
  return m;
}
