import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import { parseManifest } from './manifest.js';
import { buildArgv, validateParams } from './params.js';

const m = parseManifest(
  JSON.stringify({
    name: 'demo',
    description: 'd',
    executable: '/bin/true',
    argv: ['fixed', '--', '{days}', '{name}', '{dry_run}', '{mode}'],
    parameters: {
      days: { type: 'integer', minimum: 1, maximum: 365 },
      name: { type: 'string', pattern: '^[A-Za-z0-9 ;|$()._-]+$', maxLength: 16 },
      dry_run: { type: 'boolean', default: false },
      mode: { type: 'string', enum: ['fast', 'slow'], maxLength: 4, default: 'fast' },
    },
    required: ['days', 'name'],
    timeoutMs: 1000,
    outputCapBytes: 10,
    concurrency: 1,
  }),
  'f',
);

function rejects(body: unknown, re: RegExp): void {
  assert.throws(() => validateParams(m, body), (e: unknown) => isVigiaError(e, 'AGENT_ERR_INVALID_PARAMS') && re.test(e.message), `body ${JSON.stringify(body)}`);
}

describe('validateParams', () => {
  it('accepts exact types and fills defaults', () => {
    const p = validateParams(m, { days: 7, name: 'a;b|c$(d)' });
    assert.deepEqual({ ...p }, { days: 7, name: 'a;b|c$(d)', dry_run: false, mode: 'fast' });
  });

  const table: [string, unknown, RegExp][] = [
    ['a non-object body', [1], /body must be a JSON object, got an array/],
    ['a string body', 'days=7', /body must be a JSON object/],
    ['an unknown key', { days: 7, name: 'a', rm: 1 }, /rm: unknown parameter/],
    ['__proto__ as a key', JSON.parse('{"days":7,"name":"a","__proto__":{"x":1}}'), /__proto__: unknown parameter/],
    ['a missing required key', { name: 'a' }, /days: required/],
    ['a numeric string for an integer', { days: '7', name: 'a' }, /days: must be an integer, got a string/],
    ['a float', { days: 7.5, name: 'a' }, /days: must be an integer/],
    ['an array for an integer', { days: [7], name: 'a' }, /days: must be an integer, got an array/],
    ['an integer out of range', { days: 0, name: 'a' }, /days: must be between 1 and 365/],
    ['a huge integer', { days: 1e300, name: 'a' }, /days: must be an integer/],
    ['an array for a string', { days: 7, name: ['a', 'b'] }, /name: must be a string, got an array/],
    ['an object for a string', { days: 7, name: { a: 1 } }, /name: must be a string, got an object/],
    ['null for a string', { days: 7, name: null }, /name: must be a string, got null/],
    ['a newline', { days: 7, name: 'a\nb' }, /name: must not contain NUL, line breaks or other control characters/],
    ['a carriage return', { days: 7, name: 'a\rb' }, /name: must not contain NUL, line breaks or other control characters/],
    ['a NUL', { days: 7, name: 'a\0b' }, /name: must not contain NUL/],
    ['an oversized string', { days: 7, name: 'x'.repeat(17) }, /name: longer than 16/],
    ['a string off-pattern', { days: 7, name: 'a`b`' }, /name: does not match/],
    ['a string for a boolean', { days: 7, name: 'a', dry_run: 'true' }, /dry_run: must be a boolean, got a string/],
    ['a number for a boolean', { days: 7, name: 'a', dry_run: 1 }, /dry_run: must be a boolean/],
    ['a value outside the enum', { days: 7, name: 'a', mode: 'slo' }, /mode: must be one of fast, slow/],
  ];
  for (const [what, body, re] of table) it(`rejects ${what}`, () => rejects(body, re));

  it('rejects every control character and U+2028/U+2029 even when the pattern allows anything', () => {
    const loose = parseManifest(JSON.stringify({ name: 'n', description: 'd', executable: '/bin/true', argv: ['--'], timeoutMs: 1, outputCapBytes: 1, concurrency: 1, parameters: { s: { type: 'string', maxLength: 64, pattern: '^[\\s\\S]*$' }, t: { type: 'string', maxLength: 64, enum: ['a\u000bb', 'ok'] } } }), 'f');
    for (const c of ['\0', '\r', '\n', '\t', '\u000b', '\f', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029']) {
      assert.throws(() => validateParams(loose, { s: `a${c}b` }), (e: unknown) => isVigiaError(e, 'AGENT_ERR_INVALID_PARAMS') && /s: must not contain NUL, line breaks or other control characters/.test(e.message), JSON.stringify(c));
    }
    assert.throws(() => validateParams(loose, { t: 'a\u000bb' }), /t: must not contain/);
    assert.equal(validateParams(loose, { s: 'plain text, ünïcode ✓ and spaces' }).s, 'plain text, ünïcode ✓ and spaces');
  });

  it('rejects every format character (bidi overrides, isolates, zero-width, BOM, tags) even when the pattern allows anything', () => {
    const loose = parseManifest(JSON.stringify({ name: 'n', description: 'd', executable: '/bin/true', argv: ['--'], timeoutMs: 1, outputCapBytes: 1, concurrency: 1, parameters: { s: { type: 'string', maxLength: 64, pattern: '^[\\s\\S]*$' } } }), 'f');
    for (const c of ['\u202e', '\u202a', '\u2066', '\u2069', '\u200e', '\u061c', '\u200b', '\u200d', '\u2060', '\u00ad', '\ufeff', '\u{e0041}']) {
      assert.throws(() => validateParams(loose, { s: `binlog${c}.000123` }), (e: unknown) => isVigiaError(e, 'AGENT_ERR_INVALID_PARAMS') && /s: must not contain format characters/.test(e.message), JSON.stringify(c));
    }
    assert.equal(validateParams(loose, { s: 'año 数据 ✓' }).s, 'año 数据 ✓');
  });

  it('treats null and undefined bodies as no parameters', () => {
    rejects(null, /days: required/);
    const none = parseManifest(JSON.stringify({ name: 'n', description: 'd', executable: '/bin/true', argv: [], timeoutMs: 1, outputCapBytes: 1, concurrency: 1 }), 'f');
    assert.deepEqual({ ...validateParams(none, undefined) }, {});
    assert.throws(() => validateParams(none, { x: 1 }), /x: unknown parameter/);
  });
});

describe('buildArgv', () => {
  it('replaces whole elements only, one value per element', () => {
    const p = validateParams(m, { days: 30, name: '$(id) ; x', dry_run: true });
    assert.deepEqual(buildArgv(m, p), ['fixed', '--', '30', '$(id) ; x', 'true', 'fast']);
  });
});
