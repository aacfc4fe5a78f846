import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupByName, parsePromText, parsePromValue } from './prom-text.js';

test('reads samples with labels, escapes, special values and timestamps; skips comments', () => {
  const text = [
    '# HELP node_load1 1m load average.',
    '# TYPE node_load1 gauge',
    'node_load1 0.42',
    'node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1.0e+10',
    'odd{path="a\\"b\\\\c\\nd",x=""} +Inf 1700000000000',
    'nan_metric NaN',
    'neg{a="1",} -3',
    '',
  ].join('\n');
  const { samples, errors } = parsePromText(text);
  assert.deepEqual(errors, []);
  assert.deepEqual(samples[0], { name: 'node_load1', labels: {}, value: 0.42 });
  assert.deepEqual(samples[1]!.labels, { device: '/dev/sda1', fstype: 'ext4', mountpoint: '/' });
  assert.equal(samples[1]!.value, 1e10);
  assert.deepEqual(samples[2]!.labels, { path: 'a"b\\c\nd', x: '' });
  assert.equal(samples[2]!.value, Infinity);
  assert.ok(Number.isNaN(samples[3]!.value));
  assert.deepEqual(samples[4], { name: 'neg', labels: { a: '1' }, value: -3 });
  assert.equal(groupByName(samples).get('node_load1')!.length, 1);
});

test('a bad line is reported and skipped, never fatal; CRLF is tolerated', () => {
  const { samples, errors } = parsePromText('ok 1\r\nbroken{a="1" 2\nalso bad\nok2{a="x"} 3\n');
  assert.deepEqual(samples.map((s) => s.name), ['ok', 'ok2']);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /^line 2: unparsable/);
});

test('values parse like Go ParseFloat for the forms exporters write', () => {
  assert.equal(parsePromValue('-Inf'), -Infinity);
  assert.equal(parsePromValue('1e3'), 1000);
  assert.equal(parsePromValue('abc'), null);
  assert.equal(parsePromValue(''), null);
});
