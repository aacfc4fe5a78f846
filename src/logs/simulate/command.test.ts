import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDurationText, parseSimulateFlags, parseTokenLines } from './command.js';

const server = { server: 'http://127.0.0.1:8514', tokenFile: '/tmp/t' };

test('defaults: 500 nodes at 100 lines/s each, bounded to 60 s, combined, gzip', () => {
  const f = parseSimulateFlags({ ...server });
  assert.equal(f.nodes, 500);
  assert.equal(f.rate, 50_000);
  assert.equal(f.durationSeconds, 60);
  assert.equal(f.lines, undefined);
  assert.equal(f.format, 'combined');
  assert.equal(f.gzip, true);
  assert.equal(f.badShare, 0.002);
});

test('--lines alone bounds the run (no default duration added); --rate max; durations with units', () => {
  const f = parseSimulateFlags({ ...server, lines: '1000', rate: 'max' });
  assert.equal(f.durationSeconds, undefined);
  assert.equal(f.lines, 1000);
  assert.equal(f.rate, 'max');
  assert.equal(parseSimulateFlags({ ...server, duration: '5m' }).durationSeconds, 300);
  assert.equal(parseDurationText('1.5s'), 1.5);
  assert.equal(parseDurationText('2h'), 7200);
  assert.ok(Number.isNaN(parseDurationText('soon')));
});

test('each bad flag is one VIGIA_ERR_CONFIG line naming the flag as typed', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /--server: required/],
    [{ server: 'http://x' }, /--token-file: required/],
    [{ ...server, out: '/tmp/o' }, /--out: give --out DIR .* or --server URL/],
    [{ server: 'ftp://x', tokenFile: 't' }, /--server: must be an http/],
    [{ server: 'http://u:p@x', tokenFile: 't' }, /--server: must not carry credentials/],
    [{ ...server, nodes: '0' }, /--nodes: must be from 1/],
    [{ ...server, nodes: 'many' }, /--nodes: expected an integer/],
    [{ ...server, rate: 'fast' }, /--rate: expected lines per second/],
    [{ ...server, duration: '-3s' }, /--duration: expected a duration/],
    [{ ...server, duration: '40d' }, /--duration: expected a duration/],
    [{ ...server, logFormat: 'nginx_json' }, /--log-format: must be one of combined, common, vhost_combined/],
    [{ ...server, badShare: '0.9' }, /--bad-share: expected a fraction/],
    [{ ...server, start: 'yesterday' }, /--start: expected an ISO-8601 time/],
    [{ out: '/tmp/o', rate: 'max' }, /--rate: max is for --server/],
    [{ out: '/tmp/o', tokenFile: 't' }, /--token-file: only with --server/],
  ];
  for (const [opts, re] of cases) {
    assert.throws(() => parseSimulateFlags(opts), (e: Error & { code?: string }) => e.code === 'VIGIA_ERR_CONFIG' && re.test(e.message) && !e.message.includes('\n'), JSON.stringify(opts));
  }
});

test('a token file holds one token or one per line', () => {
  assert.deepEqual(parseTokenLines('# shipper\ntoken: abc\n', 'f'), ['abc']);
  assert.deepEqual(parseTokenLines('a1\n\nb2\n# c\nc3\n', 'f'), ['a1', 'b2', 'c3']);
  assert.throws(() => parseTokenLines('# none\n', 'f'), /f: holds no token/);
  assert.throws(() => parseTokenLines(`ok\nsha256:${'0'.repeat(64)}\n`, 'f'), /f line 2: holds a token hash/);
});
