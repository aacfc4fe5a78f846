import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { ANSWER_SCHEMAS, QUERY_SCHEMAS, type OverviewResult, type SeriesResult, type StoreStats, type TopResult, type VisitsResult, type WhoResult } from './logs-query.js';

// Compile-time: what a consumer parses is a value of the result type the producer sends.
type Out<K extends keyof typeof ANSWER_SCHEMAS> = z.output<(typeof ANSWER_SCHEMAS)[K]>;
const assignable: [Out<'who'>, Out<'top'>, Out<'visits'>, Out<'series'>, Out<'overview'>, Out<'stats'>] extends [WhoResult, TopResult, VisitsResult, SeriesResult, OverviewResult, StoreStats] ? true : false = true;

const mix = { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 0, other: 0 };

test('answer schemas accept the answers the store gives and refuse malformed ones', () => {
  assert.equal(assignable, true);
  const who: WhoResult = { url: '/<script>', clients: [{ ip: '192.0.2.1', hits: 4, first_seen: '2026-12-01T00:00:00.000Z', last_seen: '2026-12-01T00:01:00.000Z', status: mix }] };
  assert.deepEqual(ANSWER_SCHEMAS.who.parse(who), who);
  const series: SeriesResult = { step_seconds: 60, points: [{ t: '2026-12-01T00:00:00.000Z', hits: 2 }] };
  assert.deepEqual(ANSWER_SCHEMAS.series.parse(series), series);
  assert.equal(ANSWER_SCHEMAS.who.safeParse({ url: '/', clients: [{ ...who.clients[0], hits: -1 }] }).success, false);
  assert.equal(ANSWER_SCHEMAS.top.safeParse({ by: 'urls' }).success, false);
  assert.equal(ANSWER_SCHEMAS.top.safeParse({ by: 'cookies', rows: [] }).success, false);
  assert.equal(ANSWER_SCHEMAS.series.safeParse({ step_seconds: 30, points: [] }).success, false);
});

test('query schemas are strict and bounded', () => {
  assert.deepEqual(QUERY_SCHEMAS.top.parse({ by: 'status', from: '0', to: '60000' }), { by: 'status', from: 0, to: 60000, limit: 100 });
  assert.equal(QUERY_SCHEMAS.top.safeParse({ by: 'status', from: '0', to: '1', extra: '1' }).success, false);
  assert.equal(QUERY_SCHEMAS.who.safeParse({ url: 'x'.repeat(8193), from: '0', to: '1' }).success, false);
  assert.equal(QUERY_SCHEMAS.who.safeParse({ url: '/', from: '0', to: '1', limit: '10001' }).success, false);
});
