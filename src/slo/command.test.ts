/**
 * `vigia slo rules` and `vigia slo check` as the user runs them (in-process, through commander), on
 * the spec files the issue reported: several YAML documents in one file, a trailing `---`, the same
 * SLO name under two services, and Sloth's Kubernetes and OpenSLO v1alpha forms (Sloth's own fixtures,
 * fixtures/sloth/README.md).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { isVigiaError } from '../core/errors.js';
import { register } from './command.js';

const SLOTH_FIXTURES = new URL('./alerts/fixtures/sloth/', import.meta.url);

/** Run `vigia slo ARGS`; stdout and stderr as written (the node test runner's own Buffers pass through). */
async function slo(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command('vigia').exitOverride();
  register(program);
  const out: string[] = [];
  const err: string[] = [];
  const [w1, w2] = [process.stdout.write, process.stderr.write];
  const capture = (into: string[], orig: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => (typeof chunk === 'string' ? (into.push(chunk), true) : (orig as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest))) as typeof process.stdout.write;
  process.stdout.write = capture(out, w1);
  process.stderr.write = capture(err, w2);
  try {
    await program.parseAsync(['node', 'vigia', 'slo', ...args]);
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

const doc = (service: string) => `version: prometheus/v1
service: ${service}
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{service="${service}",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{service="${service}"}[{{.window}}]))
    alerting:
      name: ${service}Availability
      page_alert: {labels: {severity: page}}
      ticket_alert: {labels: {severity: ticket}}
`;

test('slo rules and slo check: several documents, a trailing ---, one SLO name under two services, Sloth\'s Kubernetes and OpenSLO v1alpha forms', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigia-slo-cmd-'));
  try {
    writeFileSync(join(dir, 'a-two-services.yaml'), `# two services, one SLO name\n---\n${doc('api')}---\n${doc('web')}---\n`);
    copyFileSync(new URL('in-multifile-k8s.yaml', SLOTH_FIXTURES), join(dir, 'b-k8s.yaml'));
    copyFileSync(new URL('in-openslo.yaml', SLOTH_FIXTURES), join(dir, 'c-openslo-v1alpha.yaml'));
    const out = `${dir}.rules.yml`;
    const r = await slo(['rules', '--spec', dir, '--out', out]);
    const groups = (parseYaml(readFileSync(out, 'utf8')) as { groups: { name: string }[] }).groups.map((g) => g.name);
    for (const id of ['api-availability', 'web-availability', 'svc01-slo1', 'svc02-slo1', 'svc01-slo1-0']) assert.ok(groups.includes(`sloth-slo-sli-recordings-${id}`), `${id} in ${groups.join(', ')}`);
    assert.ok(groups.includes('sloth-slo-alerts-api-availability') && groups.includes('sloth-slo-alerts-web-availability'));
    assert.match(r.stderr, /rules in \d+ groups for 7 SLOs/);

    const check = await slo(['check', '--spec', dir]);
    assert.match(check.stdout, /^7 SLO\(s\), 0 data source\(s\): ok/);

    // The same ID twice is still refused, naming service and name.
    writeFileSync(join(dir, 'd-dup.yaml'), doc('api'));
    await assert.rejects(slo(['rules', '--spec', dir]), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /SLO api-availability \(service api, name availability\) is also defined in another spec file/.test(e.message));
    await assert.rejects(slo(['check', '--spec', dir]), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /SLO "availability" of service "api" \(ID api-availability\) is already defined/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.rules.yml`, { force: true });
  }
});
