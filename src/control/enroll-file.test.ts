import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVigiaError } from '../core/errors.js';
import { parseEnrollFile } from './enroll-file.js';

test('a host file: one host per line with optional KEY=VALUE tags; comments, blank lines and CRLF ignored', () => {
  const text = '# fleet of mad1\n\ndb-0001 dc=mad1 tier=db\r\n  db-0002\tdc=mad1   tier=db  \nweb-0001\n';
  assert.deepEqual(parseEnrollFile(text, 'hosts.txt'), [
    { host: 'db-0001', tags: { dc: 'mad1', tier: 'db' } },
    { host: 'db-0002', tags: { dc: 'mad1', tier: 'db' } },
    { host: 'web-0001' },
  ]);
  assert.deepEqual(parseEnrollFile('a empty=\n', 'f'), [{ host: 'a', tags: { empty: '' } }], 'an empty value is a value');
});

test('the first bad line fails the whole file with VIGIA_ERR_CONFIG naming the file and line', () => {
  const cases: [string, RegExp][] = [
    ['db-1\n-bad\n', /^invalid configuration: --from f line 2: "-bad" is not a host name/],
    ['db-1\ndb-2 dc\n', /--from f line 2: tag "dc" is not KEY=VALUE/],
    ['db-1 9x=y\n', /--from f line 1: tag "9x=y" is not KEY=VALUE/],
    ['db-1 dc=a dc=b\n', /--from f line 1: tag dc given twice/],
    ['db-1\n# c\ndb-1 dc=x\n', /--from f line 3: db-1 is already listed on line 1/],
    [`db-1 ${Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(' ')}\n`, /--from f line 1: 33 tags; at most 32/],
    [`db-1 k=${'x'.repeat(257)}\n`, /--from f line 1: .* is not KEY=VALUE/],
    ['# nothing\n\n', /--from f: no host in it/],
    ['', /--from f: no host in it/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseEnrollFile(text, 'f'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && re.test((e as Error).message) && !(e as Error).message.includes('\n'), JSON.stringify(text.slice(0, 40)));
  }
});

