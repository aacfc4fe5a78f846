import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { plural, pluralWord } from './plural.js';

test('plural: one is singular, everything else plural; irregular forms and a shown number', () => {
  const cases: [string, string, string][] = [
    ['one', plural(1, 'host'), '1 host'],
    ['zero', plural(0, 'host'), '0 hosts'],
    ['many', plural(12, 'host'), '12 hosts'],
    ['irregular', plural(1, 'entry', { plural: 'entries' }) + ' / ' + plural(3, 'entry', { plural: 'entries' }), '1 entry / 3 entries'],
    ['shown number', plural(1234, 'volume', { shown: '1,234' }), '1,234 volumes'],
    ['minus one', plural(-1, 'day'), '-1 day'],
    ['fraction', plural(1.5, 'day'), '1.5 days'],
  ];
  for (const [name, got, want] of cases) assert.equal(got, want, name);
  assert.equal(pluralWord(1, 'host'), 'host');
  assert.equal(pluralWord(2, 'host'), 'hosts');
});

/**
 * The class, not the instances: a message template that puts a plural noun after a count it does not
 * know to be above one ("${n} hosts") says "1 hosts" some day. Counts that are limits (MAX_*, max) are
 * never 1 and may keep a fixed plural.
 */
test('no message in src/ puts a fixed plural noun after an interpolated count (use core/plural)', () => {
  const NOUNS = 'hosts|reports|volumes|days|rules|groups|SLOs|rows|steps|files|checks|replicas|workers|tokens|runs|targets|requests';
  const re = new RegExp(`\\$\\{([^{}]*(?:\\([^()]*\\))?[^{}]*)\\}\\s(?:${NOUNS})\\b(?!/)`, 'g');
  const root = join(import.meta.dirname, '..');
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('-contract.ts')) {
        readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
          for (const m of line.matchAll(re)) {
            if (/MAX_[A-Z_]*|\bmax[A-Z]?\w*\b/.test(m[1]!)) continue;
            offenders.push(`${relative(root, p)}:${i + 1}: ${m[0]}`);
          }
        });
      }
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
