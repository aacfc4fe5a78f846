import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAnswer } from './send.js';

test('answers are classified: ack, retry (with Retry-After), drop', () => {
  assert.deepEqual(classifyAnswer(200, undefined, '{"stored":3,"rejected":1,"duplicates":0}', 0), { kind: 'ack', accepted: { stored: 3, rejected: 1, duplicates: 0 } });
  assert.deepEqual(classifyAnswer(429, '7', '{"error":{"code":"VIGIA_ERR_RATE_LIMITED"}}', 0), { kind: 'retry', cause: 'HTTP 429 VIGIA_ERR_RATE_LIMITED', retryAfterMs: 7000 });
  assert.deepEqual(classifyAnswer(503, undefined, '<html>', 0), { kind: 'retry', cause: 'HTTP 503', retryAfterMs: null });
  assert.equal(classifyAnswer(401, undefined, '', 0).kind, 'retry');
  assert.equal(classifyAnswer(500, undefined, '', 0).kind, 'retry');
  assert.equal(classifyAnswer(200, undefined, 'OK', 0).kind, 'retry', 'a 2xx that is not a LinesAccepted is not an acknowledgement');
  assert.deepEqual(classifyAnswer(413, undefined, '{"error":{"code":"VIGIA_ERR_BODY_TOO_LARGE"}}', 0), { kind: 'drop', cause: 'HTTP 413 VIGIA_ERR_BODY_TOO_LARGE' });
  assert.equal(classifyAnswer(400, undefined, '', 0).kind, 'drop');
});
