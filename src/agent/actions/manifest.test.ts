import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { isAnchoredPattern, parseManifest } from './manifest.js';

const base = {
  name: 'demo',
  description: 'demo action',
  executable: '${node}',
  argv: ['${actionDir}/demo.mjs', '--', '{days}', '{mode}'],
  parameters: {
    days: { type: 'integer', minimum: 1, maximum: 365 },
    mode: { type: 'string', enum: ['fast', 'slow'], maxLength: 8, default: 'fast' },
  },
  required: ['days'],
  timeoutMs: 1000,
  outputCapBytes: 1024,
  concurrency: 1,
};

function bad(patch: Record<string, unknown>, fieldRe: RegExp): void {
  assert.throws(
    () => parseManifest(JSON.stringify({ ...base, ...patch }), '/x/demo/manifest.json'),
    (err: unknown) => isVigiaError(err, 'AGENT_ERR_ACTION_MANIFEST') && err.message.includes('/x/demo/manifest.json') && fieldRe.test(err.message),
  );
}

describe('parseManifest', () => {
  it('accepts a good manifest and fills defaults', () => {
    const m = parseManifest(JSON.stringify(base), 'f');
    assert.equal(m.async, false);
    assert.deepEqual(m.env, {});
    assert.deepEqual(m.argv, base.argv);
  });

  it('rejects invalid JSON naming the file', () => {
    assert.throws(() => parseManifest('{', '/a/manifest.json'), (e: unknown) => isVigiaError(e, 'AGENT_ERR_ACTION_MANIFEST') && e.message.includes('/a/manifest.json'));
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['bad name', { name: 'Demo!' }, /name:/],
    ['unknown key', { shell: true }, /shell|Unrecognized/],
    ['placeholder before --', { argv: ['{days}', '--'] }, /argv\.0: parameter placeholders are only allowed after/],
    ['no -- with parameters', { argv: ['x'] }, /argv: an action with parameters needs a "--"/],
    ['substring interpolation', { argv: ['--', '--days={days}'] }, /argv\.1: placeholders must be a whole argv element/],
    ['unknown placeholder', { argv: ['--', '{nope}', '{days}'] }, /unknown parameter "nope"/],
    ['unanchored pattern', { parameters: { s: { type: 'string', pattern: '[a-z]+', maxLength: 5 } }, required: [], argv: ['--', '{s}'] }, /parameters\.s\.pattern/],
    ['pattern anchored with escaped $', { parameters: { s: { type: 'string', pattern: '^[a-z]+\\$', maxLength: 5 } }, required: [], argv: [] }, /pattern/],
    ['maxLength too big', { parameters: { s: { type: 'string', pattern: '^a$', maxLength: 257 } }, required: [], argv: [] }, /maxLength/],
    ['maxLength missing', { parameters: { s: { type: 'string', pattern: '^a$' } }, required: [], argv: [] }, /maxLength/],
    ['string without pattern or enum', { parameters: { s: { type: 'string', maxLength: 5 } }, required: [], argv: [] }, /pattern or an enum/],
    ['minimum above maximum', { parameters: { n: { type: 'integer', minimum: 5, maximum: 1 } }, required: [], argv: [] }, /minimum/],
    ['timeout above 10 min', { timeoutMs: 600_001 }, /timeoutMs/],
    ['output cap above 1 MiB', { outputCapBytes: 1024 * 1024 + 1 }, /outputCapBytes/],
    ['concurrency 0', { concurrency: 0 }, /concurrency/],
    ['required names unknown parameter', { required: ['days', 'zzz'] }, /required names unknown parameter "zzz"/],
    ['optional placeholder without default', { parameters: { ...base.parameters, mode: { type: 'string', enum: ['a'], maxLength: 1 } } }, /parameters\.mode: an optional parameter used in argv needs a default/],
    ['env value not a string', { env: { A: 1 } }, /env\.A/],
    ['bad runAs', { runAs: 'root; rm' }, /runAs/],
  ];
  for (const [what, patch, re] of cases) it(`rejects ${what}`, () => bad(patch, re));
});

describe('isAnchoredPattern', () => {
  const table: [string, boolean][] = [
    ['^[a-z]+$', true],
    ['^a\\\\$', true],
    ['^a\\$', false],
    ['[a-z]+$', false],
    ['^[a-z]+', false],
    ['^(unclosed$', false],
  ];
  for (const [p, want] of table) it(`${p} -> ${want}`, () => assert.equal(isAnchoredPattern(p), want));
});
