import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLogFormat } from '../parse/compile.js';
import { buildPopulation } from './population.js';
import { createTraffic } from './traffic-model.js';
import type { SimFormat } from './access-line.js';

// The simulator's truth must be the parser's: a benchmark or fleet test that compares "rejected" with
// "bad lines generated" is only meaningful if the two agree line by line.
test('every line the model calls bad is rejected by the real parser, every other line parses to what was generated', () => {
  const pop = buildPopulation({ seed: 9 });
  for (const format of ['combined', 'common', 'vhost_combined'] as SimFormat[]) {
    const parser = compileLogFormat(format);
    for (const node of [0, 1, 4, 6]) {
      const t = createTraffic({ population: pop, node, startMs: Date.UTC(2026, 2, 1), ratePerSecond: 50, format, shares: { bad: 0.03, probe: 0.03, long: 0.01 } });
      for (let i = 0; i < 4000; i++) {
        const l = t.next();
        const r = parser.parse(l.text, 'sim');
        if (l.kind === 'bad') {
          if (typeof r !== 'string') assert.fail(`${format} node ${node}: bad line parsed: ${JSON.stringify(l.text)}`);
          continue;
        }
        if (typeof r === 'string') assert.fail(`${format} node ${node}: ${r}: ${JSON.stringify(l.text)}`);
        assert.equal(r.ts, Math.floor(l.ts / 1000) * 1000);
        assert.equal(r.status, l.status);
        assert.equal(r.client, l.client);
        if (l.kind === 'probe') assert.equal(r.method, '');
        else assert.equal(r.url, l.path);
      }
    }
  }
});
