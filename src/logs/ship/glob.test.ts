import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, type FileGlob } from './glob.js';

const glob = (p: string): FileGlob => {
  const g = compileGlob(p);
  assert.equal(typeof g, 'object', String(g));
  return g as FileGlob;
};

test('wildcards in the file name match as in the shell', () => {
  const cases: [string, string, boolean][] = [
    ['/var/log/nginx/*.log', 'access.log', true],
    ['/var/log/nginx/*.log', 'access.log.1', false],
    ['/var/log/nginx/*.log', '.hidden.log', false],
    ['/var/log/nginx/.*.log', '.hidden.log', true],
    ['/var/log/nginx/access.log*', 'access.log.2.gz', true],
    ['/var/log/nginx/site-?.log', 'site-a.log', true],
    ['/var/log/nginx/site-?.log', 'site-ab.log', false],
    ['/var/log/nginx/site-[ab].log', 'site-b.log', true],
    ['/var/log/nginx/site-[!ab].log', 'site-b.log', false],
    ['/var/log/nginx/site-[!ab].log', 'site-c.log', true],
    ['/var/log/nginx/site-[a-c].log', 'site-c.log', true],
    ['/var/log/nginx/a+b(1).log', 'a+b(1).log', true],
    ['/var/log/nginx/a.log', 'axlog', false],
  ];
  for (const [p, name, want] of cases) assert.equal(glob(p).test(name), want, `${p} vs ${name}`);
  assert.equal(glob('/var/log/nginx/*.log').dir, '/var/log/nginx');
});

test('patterns that cannot work are refused with a sentence', () => {
  assert.match(String(compileGlob('logs/*.log')), /absolute/);
  assert.match(String(compileGlob('/var/log/*/access.log')), /only in the file name/);
  assert.match(String(compileGlob('/var/log/site-[ab.log')), /unclosed/);
  assert.match(String(compileGlob('/var/log/')), /directory/);
});
