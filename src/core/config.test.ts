import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseConfig, parseListen } from './config.js';
import { isVigiaError } from './errors.js';

test('parseListen accepts the documented forms', () => {
  const cases: [string, { host: string; port: number } | undefined][] = [
    ['7017', { host: '127.0.0.1', port: 7017 }],
    [':7017', { host: '127.0.0.1', port: 7017 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['host:70000', undefined],
    ['host:', undefined],
    ['a b:1', undefined],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseListen(input), expected, input);
});

test('parseConfig names the bad field path and freezes the result', () => {
  const schema = z.object({ a: z.object({ b: z.number() }) }).strict();
  assert.throws(() => parseConfig(schema, { a: { b: 'x' } }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /a\.b/.test(e.message));
  assert.throws(() => parseConfig(schema, { a: { b: 1 }, c: 2 }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /c/.test(e.message));
  const ok = parseConfig(schema, { a: { b: 1 } });
  assert.ok(Object.isFrozen(ok) && Object.isFrozen(ok.a));
});
