import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerError, isTransportError, oneLine, parseAnswer, transportError } from './client-errors.js';
import { VigiaError, isVigiaError } from './errors.js';

const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });
const withCode = (code: string, message = code): Error => Object.assign(new Error(message), { code });

test('transport failures map to VIGIA_ERR_UNREACHABLE naming the URL and why', () => {
  const cases: Array<[unknown, RegExp]> = [
    [fetchFailed(withCode('ECONNREFUSED')), /http:\/\/h:1: connection refused .*\(ECONNREFUSED\)$/],
    [fetchFailed(withCode('ENOTFOUND')), /host name not found \(ENOTFOUND\)$/],
    [fetchFailed(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])), /connection refused/],
    [fetchFailed(withCode('UND_ERR_SOCKET', 'other side closed')), /connection closed by the server/],
    [fetchFailed(withCode('CERT_HAS_EXPIRED', 'certificate has expired')), /TLS: certificate has expired \(CERT_HAS_EXPIRED\)$/],
    [fetchFailed(withCode('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames")), /TLS: Hostname\/IP does not match/],
    [fetchFailed(new Error('bad port')), /http:\/\/h:1: bad port$/],
    [Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), /no answer within 120 s$/],
    [withCode('ECONNRESET'), /connection reset by the server/],
  ];
  for (const [err, re] of cases) {
    const mapped = transportError(err, 'http://h:1', 120_000);
    assert.ok(isVigiaError(mapped, 'VIGIA_ERR_UNREACHABLE'), String(err));
    assert.match(mapped.message, re);
    assert.ok(isTransportError(err));
  }
});

test('bugs and catalogued errors pass through transportError unchanged', () => {
  const bug = new TypeError('x is not a function');
  assert.equal(transportError(bug, 'http://h'), bug);
  assert.equal(isTransportError(bug), false);
  assert.equal(isTransportError(withCode('ENOENT')), false);
  const known = new VigiaError('VIGIA_ERR_CONFIG', 'x');
  assert.equal(transportError(known, 'http://h'), known);
});

test('a catalogued error answer keeps the server code; its message is not said twice', () => {
  const e = answerError(403, JSON.stringify({ error: { code: 'VIGIA_ERR_FORBIDDEN', message: 'token lacks the scope this endpoint needs: needs admin' } }), 'POST /v1/bundles');
  assert.equal(e.code, 'VIGIA_ERR_FORBIDDEN');
  assert.equal(e.message, 'token lacks the scope this endpoint needs: needs admin [POST /v1/bundles answered 403]');
  const plain = answerError(404, '{"error":{"code":"CONTROL_ERR_NO_ROLLOUT","message":"no such rollout"}}', 'GET /v1/rollouts/current');
  assert.equal(plain.message, 'no such rollout: [GET /v1/rollouts/current answered 404]');
});

test('unknown codes, non-JSON and empty error bodies are VIGIA_ERR_BAD_ANSWER with the status', () => {
  const newer = answerError(409, '{"error":{"code":"CONTROL_ERR_FROM_THE_FUTURE","message":"m"}}', 'GET /x');
  assert.equal(newer.code, 'VIGIA_ERR_BAD_ANSWER');
  assert.match(newer.message, /\[GET \/x answered 409\] CONTROL_ERR_FROM_THE_FUTURE: m$/);
  assert.match(answerError(502, '<html>\n<b>Bad Gateway</b>\n</html>', 'GET /x').message, /answered 502\] <html> <b>Bad Gateway<\/b> <\/html>$/);
  assert.match(answerError(500, '', 'GET /x').message, /\(empty body\)$/);
  assert.match(answerError(500, 'null', 'GET /x').message, /answered 500\] null$/);
});

test('parseAnswer refuses a 2xx body that is not JSON; oneLine flattens control characters', () => {
  assert.deepEqual(parseAnswer('{"a":1}', 'GET /x'), { a: 1 });
  assert.throws(() => parseAnswer('<html>', 'GET /x'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_BAD_ANSWER') && /GET \/x\] expected JSON/.test(e.message));
  assert.equal(oneLine(' a\n  b\r\n\tc\u0007 '), 'a b c');
});

test('transportError names the URL without its password or query values', () => {
  const mapped = transportError(fetchFailed(withCode('ECONNREFUSED')), 'http://ops:hunter2@h:1/v1?token=SECRET', 1000);
  assert.ok(isVigiaError(mapped, 'VIGIA_ERR_UNREACHABLE'));
  assert.doesNotMatch(mapped.message, /hunter2|SECRET/);
  assert.match(mapped.message, /http:\/\/ops:\*\*\*@h:1\/v1\?token=\*\*\*: connection refused/);
});

test('oneLine: a server message with C1 controls or format characters prints them escaped, table', () => {
  const cases: [string, string][] = [
    ['bad mountpoint /x\u202eevil', 'bad mountpoint /x\\u202eevil'],
    ['csi \u009b2J and del \u007f', 'csi \\x9b2J and del'],
    ['zero\u200bwidth \u2066isolate\u2069', 'zero\\u200bwidth \\u2066isolate\\u2069'],
    ['line\u2028separator', 'line separator'],
  ];
  for (const [input, want] of cases) assert.equal(oneLine(input), want, JSON.stringify(input));
});
