import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRecord } from '../record.js';
import { compileLogFormat } from './compile.js';

const json = compileLogFormat('json');
const T = Date.UTC(2000, 9, 10, 20, 55, 36);
const parse = (o: unknown): AccessRecord | string => json.parse(typeof o === 'string' ? o : JSON.stringify(o), 'w');

test('json: time from time_iso8601, time_local or msec; numbers or strings; - and "" are missing', () => {
  const base = { remote_addr: '1.2.3.4', request: 'GET /a?b=1 HTTP/2.0', status: 200 };
  assert.equal((parse({ ...base, time_iso8601: '2000-10-10T20:55:36+00:00' }) as AccessRecord).ts, T);
  assert.equal((parse({ ...base, time_local: '10/Oct/2000:13:55:36 -0700' }) as AccessRecord).ts, T);
  assert.equal((parse({ ...base, msec: '971211336.500' }) as AccessRecord).ts, T + 500);
  const r = parse({ ...base, msec: 971211336, body_bytes_sent: '-', http_referer: '-', http_user_agent: '', request_time: 1.5, server_name: 's' }) as AccessRecord;
  assert.deepEqual([r.method, r.url, r.query, r.protocol, r.status, r.bytes, r.referrer, r.agent, r.durationMs, r.vhost], ['GET', '/a', 'b=1', 'HTTP/2.0', 200, 0, '', '', 1500, 's']);
});

test('json: request parts from request_method + request_uri (or uri + args) + server_protocol', () => {
  const base = { remote_addr: '::1', msec: '1', status: '404' };
  const a = parse({ ...base, request_method: 'POST', request_uri: '/x?y', server_protocol: 'HTTP/1.1' }) as AccessRecord;
  assert.deepEqual([a.method, a.url, a.query, a.protocol], ['POST', '/x', 'y', 'HTTP/1.1']);
  const b = parse({ ...base, request_method: 'GET', uri: '/u', args: 'k=v' }) as AccessRecord;
  assert.deepEqual([b.url, b.query], ['/u', 'k=v']);
});

test('json: a TLS probe request as escape=json writes it keeps its control bytes as \\xHH text', () => {
  const r = parse('{"remote_addr":"1.2.3.4","msec":"1","request":"\\u0016\\u0003\\u0001\\u0000","status":"400"}') as AccessRecord;
  assert.equal(r.method, '');
  assert.equal(r.url, '\\x16\\x03\\x01\\x00');
});

test('json: failures', () => {
  assert.equal(parse('not json'), 'bad-json');
  assert.equal(parse('[1,2]'), 'bad-json');
  assert.equal(parse('"x"'), 'bad-json');
  assert.equal(parse({ msec: '1' }), 'missing-field');
  assert.equal(parse({ remote_addr: '1.2.3.4' }), 'missing-field');
  assert.equal(parse({ remote_addr: '1.2.3.4', time_iso8601: 'yesterday' }), 'bad-time');
  assert.equal(parse({ remote_addr: '1.2.3.4', msec: '1', status: 'ok' }), 'bad-status');
  assert.equal(parse({ remote_addr: '1.2.3.4', msec: '1', body_bytes_sent: '1e3' }), 'bad-number');
  assert.equal(parse(''), 'empty');
  assert.equal(compileLogFormat('json', { maxLineLength: 10 }).parse('{"a":"bcdefgh"}', 'w'), 'too-long');
});
