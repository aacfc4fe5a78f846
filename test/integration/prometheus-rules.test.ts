/** The shipped Prometheus rules and config pass promtool, and the rule unit tests can fail. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinary } from '../support/binaries.js';
import { tempDir } from '../support/tmp.js';

const DIR = new URL('../../deploy/prometheus/', import.meta.url).pathname;
const promtool = (...args: string[]): { status: number | null; out: string } => {
  const r = spawnSync(requireBinary('promtool'), args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

test('promtool check rules: the rules are valid', () => {
  const r = promtool('check', 'rules', join(DIR, 'turno-rules.yml'));
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS: 11 rules found/);
});

test('promtool test rules: every alert fires when it should and stays quiet otherwise', () => {
  const r = promtool('test', 'rules', join(DIR, 'turno-rules.test.yml'));
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
});

test('promtool check config: the scrape config is valid (token file path swapped for a temp one)', () => {
  const tmp = tempDir();
  try {
    const token = join(tmp.dir, 'token');
    writeFileSync(token, 'secret\n');
    const text = readFileSync(join(DIR, 'prometheus.yml'), 'utf8').replace('/etc/prometheus/secrets/turno-token', token);
    writeFileSync(join(tmp.dir, 'prometheus.yml'), text);
    copyFileSync(join(DIR, 'turno-rules.yml'), join(tmp.dir, 'turno-rules.yml'));
    const r = promtool('check', 'config', join(tmp.dir, 'prometheus.yml'));
    assert.equal(r.status, 0, r.out);
  } finally {
    tmp.remove();
  }
});

test('the rule tests catch a broken threshold (the harness can fail)', () => {
  const tmp = tempDir();
  try {
    const rules = readFileSync(join(DIR, 'turno-rules.yml'), 'utf8');
    const broken = rules.replace('job:vigia_turno_error_ratio:rate5m > 0.05', 'job:vigia_turno_error_ratio:rate5m > 0.5');
    assert.notEqual(broken, rules, 'the threshold to break is still in the rules');
    writeFileSync(join(tmp.dir, 'turno-rules.yml'), broken);
    copyFileSync(join(DIR, 'turno-rules.test.yml'), join(tmp.dir, 'turno-rules.test.yml'));
    const r = promtool('test', 'rules', join(tmp.dir, 'turno-rules.test.yml'));
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /FAILED/);
  } finally {
    tmp.remove();
  }
});
