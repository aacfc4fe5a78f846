import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CATALOG, ERROR_PREFIXES, VigiaError, errorBody, isVigiaError, type ErrorCode, type ErrorSpec } from './errors.js';

const DOC = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];
const spec = (code: ErrorCode): ErrorSpec => ERROR_CATALOG[code];

/** The table rows of docs/errors.md, by code: the cells after the code. */
function docRows(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of DOC.split('\n')) {
    const m = /^\|\s*`([A-Z]+_ERR_[A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  return rows;
}

test('docs/errors.md has a table row for every catalog code, with its status', () => {
  const rows = docRows();
  for (const code of CODES) {
    const row = rows.get(code);
    assert.ok(row, `docs/errors.md has no table row for ${code}`);
    const [status = '', meaning = '', todo = ''] = row;
    assert.match(status, new RegExp(`\\b${ERROR_CATALOG[code].status}\\b`), `${code}: status column "${status}"`);
    assert.equal(/Retry-After/.test(status), spec(code).retryAfterSeconds !== undefined, `${code}: Retry-After marking`);
    assert.ok(meaning.length > 10 && todo.length > 10, `${code}: meaning and what to do must be filled in`);
  }
  assert.equal(rows.size, CODES.length, 'one row per code');
});

test('every *_ERR_* code mentioned in docs/errors.md exists in the catalog', () => {
  const mentioned = new Set(DOC.match(/\b[A-Z]+_ERR_[A-Z_]+\b/g) ?? []);
  assert.ok(mentioned.size > 0);
  for (const code of mentioned) assert.ok(code in ERROR_CATALOG, `docs/errors.md mentions ${code}, which is not in ERROR_CATALOG`);
});

test('catalog codes are well-formed and statuses are HTTP error statuses', () => {
  for (const code of CODES) {
    assert.match(code, /^[A-Z]+_ERR_[A-Z_]+$/);
    const { status, message } = spec(code);
    assert.ok(status >= 400 && status <= 599, code);
    assert.ok(message.length > 0, code);
  }
});

test('errorBody maps a VigiaError to its status and {"error":{"code","message"}}', () => {
  for (const code of CODES) {
    const { status, body, retryAfterSeconds } = errorBody(new VigiaError(code));
    assert.equal(status, ERROR_CATALOG[code].status, code);
    assert.deepEqual(JSON.parse(body), { error: { code, message: ERROR_CATALOG[code].message } }, code);
    assert.equal(retryAfterSeconds, spec(code).retryAfterSeconds, code);
  }
  const withDetail = errorBody(new VigiaError('TURNO_ERR_INVALID_ID', 'id is empty', { cause: new Error('secret cause') }));
  assert.equal(withDetail.status, 400);
  assert.equal(withDetail.body, '{"error":{"code":"TURNO_ERR_INVALID_ID","message":"invalid id: id is empty"}}');
  const unavailable = errorBody(new VigiaError('TURNO_ERR_STORE_UNAVAILABLE'));
  assert.equal(unavailable.status, 503);
  assert.equal(unavailable.retryAfterSeconds, 1);
});

test('errorBody maps anything unknown to a bare 500 VIGIA_ERR_INTERNAL', () => {
  const plain = new Error('ECONNREFUSED 10.1.2.3:6379 password=hunter2');
  for (const err of [plain, new TypeError('x is undefined'), 'a string', 42, null, undefined, { code: 'TURNO_ERR_INVALID_ID', status: 400 }]) {
    const { status, body, retryAfterSeconds } = errorBody(err);
    assert.equal(status, 500);
    assert.equal(body, '{"error":{"code":"VIGIA_ERR_INTERNAL","message":"internal error"}}');
    assert.equal(retryAfterSeconds, undefined);
  }
});

test('VigiaError carries code, status, detail and cause', () => {
  const cause = new Error('root');
  const e = new VigiaError('TURNO_ERR_COUNTER_EXHAUSTED', 'q', { cause });
  assert.equal(e.code, 'TURNO_ERR_COUNTER_EXHAUSTED');
  assert.equal(e.status, 409);
  assert.equal(e.name, 'VigiaError');
  assert.equal(e.cause, cause);
  assert.match(e.message, /: q$/);
  assert.equal(isVigiaError(e), true);
  assert.equal(isVigiaError(e, 'TURNO_ERR_COUNTER_EXHAUSTED'), true);
  assert.equal(isVigiaError(e, 'TURNO_ERR_INVALID_ID'), false);
  assert.equal(isVigiaError(cause), false);
});

test('codes are grouped by role: one prefix per role, each contiguous in the catalog and in its own section of docs/errors.md', () => {
  const prefixOf = (code: string): string => code.slice(0, code.indexOf('_ERR_'));
  assert.deepEqual([...new Set(CODES.map(prefixOf))], [...ERROR_PREFIXES], 'catalog order: every code of a prefix together, prefixes in ERROR_PREFIXES order');
  const sections = DOC.split(/^## /m).slice(1);
  assert.equal(sections.length, ERROR_PREFIXES.length, 'one docs section per prefix');
  sections.forEach((section, i) => {
    const rows = [...section.matchAll(/^\|\s*`([A-Z]+_ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]!);
    assert.ok(rows.length > 0, `section ${i + 1} has rows`);
    assert.deepEqual([...new Set(rows.map(prefixOf))], [ERROR_PREFIXES[i]], `section "${section.split('\n')[0]}" holds ${ERROR_PREFIXES[i]}_ERR_* only`);
  });
});
