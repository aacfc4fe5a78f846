import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../../core/errors.js';
import { matchesWhere, parseLimit, parseParams, parseWhere, resolveLimit } from './selector.js';

function assertBadRequest(fn: () => unknown, mentions: string, label: string): void {
  assert.throws(fn, (err: unknown) => isVigiaError(err, 'VIGIA_ERR_BAD_REQUEST') && err.message.includes(mentions), label);
}

test('parseWhere accepts k=v lists', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['role=mysql', { role: 'mysql' }],
    ['role=mysql,az=us-east-1a', { role: 'mysql', az: 'us-east-1a' }],
    [' role = mysql , az=us-east-1a ', { role: 'mysql', az: 'us-east-1a' }],
    ['host=db-17', { host: 'db-17' }],
    ['_k.a-b=v w', { '_k.a-b': 'v w' }],
    [`k=${'x'.repeat(256)}`, { k: 'x'.repeat(256) }],
    [`${'k'.repeat(64)}=v`, { ['k'.repeat(64)]: 'v' }],
    ['reported:role=web', { 'reported:role': 'web' }],
    ['role=mysql, reported:role = web', { role: 'mysql', 'reported:role': 'web' }],
    ['reported:host=db-17', { 'reported:host': 'db-17' }],
  ];
  for (const [text, want] of cases) assert.deepEqual({ ...parseWhere(text) }, want, text);
});

test('parseWhere rejects malformed selectors, naming --where', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['   ', 'empty'],
    ['role', 'not key=value'],
    ['role=mysql,', 'not key=value'],
    ['=mysql', 'bad key'],
    ['1role=mysql', 'bad key'],
    [`${'k'.repeat(65)}=v`, 'bad key'],
    ['role=', 'bad value'],
    ['role=a=b', 'bad value'],
    [`k=${'x'.repeat(257)}`, 'bad value'],
    ['role=a,role=b', 'given twice'],
    ['reported:role=a,reported:role=b', 'given twice'],
    ['reported:=web', 'bad key'],
    ['reported:1role=web', 'bad key'],
    ['reported:__proto__=web', 'bad key'],
    ['reported:reported:role=web', 'bad key'],
    ['other:role=web', 'bad key'],
    ['reported.role=web,x:y=z', 'bad key'],
  ];
  for (const [text, mentions] of cases) {
    assertBadRequest(() => parseWhere(text), mentions, text);
    assertBadRequest(() => parseWhere(text), '--where', text);
  }
});

test('parseWhere refuses the reserved tag keys (no host can carry them) and cannot pollute the prototype', () => {
  assert.throws(() => parseWhere('__proto__=x'), /--where: bad key "__proto__"/);
  assert.throws(() => parseParams(['constructor=1']), /--param: bad key "constructor"/);
  const w = parseWhere('a=1,b=2');
  assert.equal(Object.getPrototypeOf(w), Object.prototype);
});

test('matchesWhere', () => {
  const host = { name: 'db-17', tags: { role: 'mysql', az: 'us-east-1a' } };
  const cases: Array<[string | null, boolean]> = [
    [null, true], // --all: empty clause
    ['role=mysql', true],
    ['role=mysql,az=us-east-1a', true],
    ['role=mysql,az=us-east-1b', false],
    ['role=MySQL', false],
    ['team=db', false],
    ['host=db-17', true],
    ['host=db-17,role=mysql', true],
    ['host=db-18', false],
    ['toString=x', false],
  ];
  for (const [text, want] of cases) assert.equal(matchesWhere(text === null ? {} : parseWhere(text), host), want, String(text));
});

test('matchesWhere: a plain key matches the operator\'s tags only, reported:KEY the host\'s own tags only', () => {
  // The host enrolled role=mysql reports role=web (it writes its own report): it must not leave a
  // role=mysql run nor join a role=web one; reported:role=web says "what the host claims".
  const host = { name: 'db-17', tags: { role: 'mysql' }, reportedTags: { role: 'web', rack: '7', host: 'other' } };
  const cases: Array<[string, boolean]> = [
    ['role=mysql', true],
    ['role=web', false],
    ['rack=7', false],
    ['reported:role=web', true],
    ['reported:role=mysql', false],
    ['reported:rack=7', true],
    ['role=mysql,reported:rack=7', true],
    ['role=mysql,reported:rack=8', false],
    ['host=db-17', true],
    ['host=other', false],
    ['reported:host=other', true],
    ['reported:toString=x', false],
  ];
  for (const [text, want] of cases) assert.equal(matchesWhere(parseWhere(text), host), want, text);
  assert.equal(matchesWhere(parseWhere('reported:role=web'), { name: 'h', tags: { role: 'web' } }), false, 'no reported tags: nothing reported matches');
});

test('parseLimit', () => {
  const ok: Array<[string, 0 | 1, unknown]> = [
    ['50', 0, { kind: 'count', n: 50 }],
    ['0', 0, { kind: 'count', n: 0 }],
    ['1', 1, { kind: 'count', n: 1 }],
    ['5%', 0, { kind: 'percent', pct: 5 }],
    ['0%', 0, { kind: 'percent', pct: 0 }],
    ['100%', 1, { kind: 'percent', pct: 100 }],
    [' 7 ', 0, { kind: 'count', n: 7 }],
  ];
  for (const [text, min, want] of ok) assert.deepEqual(parseLimit(text, '--x', { min }), want, text);
  const bad: Array<[string, 0 | 1, string]> = [
    ['', 0, 'expected'],
    ['-1', 0, 'expected'],
    ['1.5', 0, 'expected'],
    ['05', 0, 'expected'],
    ['5 %', 0, 'expected'],
    ['101%', 0, 'between'],
    ['1000%', 0, 'expected'],
    ['ten', 0, 'expected'],
    ['99999999999999999999', 0, 'too large'],
    ['0', 1, 'at least 1'],
    ['0%', 1, 'at least 1%'],
  ];
  for (const [text, min, mentions] of bad) {
    assertBadRequest(() => parseLimit(text, '--concurrency', { min }), mentions, text);
    assertBadRequest(() => parseLimit(text, '--concurrency', { min }), '--concurrency', text);
  }
});

test('resolveLimit rounds percentages down; minOne keeps at least one', () => {
  const cases: Array<[string, number, boolean, number]> = [
    ['50', 1000, true, 50],
    ['50', 10, true, 50],
    ['0', 10, false, 0],
    ['5%', 1000, true, 50],
    ['5%', 10, true, 1], // 0.5 -> 0 -> at least 1
    ['5%', 10, false, 0],
    ['10%', 50, false, 5], // SSM: 10% of 50 -> stop at the sixth error
    ['1%', 1000, false, 10],
    ['1%', 99, false, 0],
    ['33%', 10, false, 3],
    ['100%', 7, true, 7],
    ['5%', 0, true, 0], // no targets: nothing to run
  ];
  for (const [text, targets, minOne, want] of cases) {
    assert.equal(resolveLimit(parseLimit(text, '--x'), targets, { minOne }), want, `${text} of ${targets} minOne=${minOne}`);
  }
});

test('parseParams types values', () => {
  assert.deepEqual(parseParams([]), {});
  assert.deepEqual(parseParams(['days=3', 'dry_run=true', 'force=false', 'name=db 1', 'neg=-12', 'zero=-0', 'v=1.5', 'e=', 'q=a=b', 'T=True', 'n=007']), {
    days: 3,
    dry_run: true,
    force: false,
    name: 'db 1',
    neg: -12,
    zero: 0,
    v: '1.5',
    e: '',
    q: 'a=b',
    T: 'True',
    n: 7,
  });
});

test('parseParams rejects bad items, naming --param', () => {
  const cases: Array<[string[], string]> = [
    [['days'], 'not key=value'],
    [['=3'], 'bad key'],
    [['9d=3'], 'bad key'],
    [['days=3', 'days=4'], 'given twice'],
    [['big=99999999999999999999'], 'safe integer'],
  ];
  for (const [items, mentions] of cases) {
    assertBadRequest(() => parseParams(items), mentions, items.join(' '));
    assertBadRequest(() => parseParams(items), '--param', items.join(' '));
  }
});
