import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTagKey, isTagValue, MAX_TAGS, parseTagFlags, selectorKeyOf, selectorKeySchema, tagsSchema } from './tags.js';

test('tag keys: a letter or _, then letters, digits, _ . -, at most 64; reserved names refused', () => {
  for (const k of ['env', '_x', 'a.b-c_d', 'A9', 'k'.repeat(64)]) assert.equal(isTagKey(k), true, k);
  for (const k of ['', '1x', '-a', 'a b', 'a=b', 'k'.repeat(65), 'ñ', '__proto__', 'constructor', 'prototype']) assert.equal(isTagKey(k), false, k);
  assert.equal(isTagValue(''), true);
  assert.equal(isTagValue('v'.repeat(256)), true);
  assert.equal(isTagValue('v'.repeat(257)), false);
  assert.equal(isTagValue('a\u0000b'), false);
});

test('the tags schema and the flag parser accept and refuse the same tags', () => {
  const many = Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, 'v']));
  const cases: [Record<string, string>, boolean][] = [
    [{ env: 'prod', empty: '' }, true],
    [{ '1x': 'y' }, false],
    [{ env: 'a\u0000' }, false],
    [{ env: 'v'.repeat(257) }, false],
    [JSON.parse('{"__proto__":"x"}') as Record<string, string>, false],
    [Object.fromEntries(Object.entries(many).slice(0, MAX_TAGS)), true],
    [many, false],
  ];
  for (const [tags, ok] of cases) {
    assert.equal(tagsSchema.safeParse(tags).success, ok, JSON.stringify(tags).slice(0, 80));
    const flags = Object.entries(tags).map(([k, v]) => `${k}=${v}`);
    assert.equal(parseTagFlags(flags).ok, ok, flags.join(' ').slice(0, 80));
  }
});

test('tag flags: the value is everything after the first =; messages name the flag and the item', () => {
  assert.deepEqual(parseTagFlags(['a=b=c', 'e=']), { ok: true, tags: { a: 'b=c', e: '' } });
  const bad = (items: string[], flag?: string): string => {
    const r = parseTagFlags(items, flag);
    assert.equal(r.ok, false);
    return r.ok ? '' : r.message;
  };
  assert.match(bad(['novalue']), /^--tag "novalue" is not KEY=VALUE/);
  assert.match(bad(['a=1', 'a=2'], '--label'), /^--label a given twice$/);
  assert.match(bad(['__proto__=x']), /"__proto__=x" is not KEY=VALUE/);
  assert.match(bad(Array.from({ length: MAX_TAGS + 1 }, (_, i) => `k${i}=v`)), new RegExp(`^at most ${MAX_TAGS} --tag$`));
});

test('selector keys: a tag key is the operator\'s tag, reported:KEY the host\'s, host the host name; no key is both', () => {
  assert.deepEqual(selectorKeyOf('role'), { kind: 'tag', tag: 'role' });
  assert.deepEqual(selectorKeyOf('reported:role'), { kind: 'reported', tag: 'role' });
  assert.deepEqual(selectorKeyOf('reported:host'), { kind: 'reported', tag: 'host' });
  assert.deepEqual(selectorKeyOf('host'), { kind: 'host' });
  // A dotted key stays an operator tag: `:` is outside the tag alphabet, so no tag can look reported.
  assert.deepEqual(selectorKeyOf('reported.role'), { kind: 'tag', tag: 'reported.role' });
  for (const k of ['', 'reported:', 'reported:1x', 'reported:__proto__', 'reported:reported:role', 'Reported:role', 'host:role', 'a:b', '__proto__']) {
    assert.equal(selectorKeyOf(k), null, k);
    assert.equal(selectorKeySchema.safeParse(k).success, false, k);
  }
  assert.equal(selectorKeySchema.safeParse('reported:role').success, true);
});
