/**
 * Rule groups as a Prometheus rules file (`groups:` YAML, as promtool and Prometheus read it), with
 * label and annotation keys sorted and multi-line PromQL in block style, like Sloth's output.
 */
import { stringify } from 'yaml';
import type { AlertingRule, RecordingRule, RuleGroup } from './sloth-rules.js';

const sorted = (m: Readonly<Record<string, string>>): Record<string, string> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The rules file text, starting with a comment header (one line per entry of `header`). */
export function rulesYaml(groups: readonly RuleGroup[], header: readonly string[]): string {
  const doc = {
    groups: groups.map((g) => ({
      name: g.name,
      rules: g.rules.map((r) =>
        'record' in r
          ? { record: (r as RecordingRule).record, expr: r.expr, labels: sorted(r.labels) }
          : { alert: (r as AlertingRule).alert, expr: r.expr, labels: sorted(r.labels), annotations: sorted((r as AlertingRule).annotations) },
      ),
    })),
  };
  const body = stringify(doc, { lineWidth: 0, blockQuote: 'literal' });
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${body}`;
}
