// The contract suite run against the reference itself, wrapped as a LogStore: the hand-written answers in
// the suite check the reference, and the suite's own fixtures and expectations are shown consistent.
import type { AccessRecord } from '../record.js';
import type { LogStore } from './log-store.js';
import { logStoreContract } from './log-store.contract.js';
import { checkRecords } from './record-check.js';
import { referenceOverview, referenceSeries, referenceTop, referenceVisits, referenceWho } from './reference-answers.js';

function referenceStore(): LogStore {
  let rows: AccessRecord[] = [];
  return {
    engine: 'reference',
    async insert(records) {
      checkRecords(records);
      rows = rows.concat(records);
    },
    who: async (q) => referenceWho(rows, q),
    top: async (q) => referenceTop(rows, q),
    visits: async (q) => referenceVisits(rows, q),
    series: async (q) => referenceSeries(rows, q),
    overview: async (q) => referenceOverview(rows, q),
    async expire(before) {
      const n = rows.length;
      rows = rows.filter((x) => x.ts >= before);
      return n - rows.length;
    },
    async stats() {
      const ts = rows.map((x) => x.ts);
      const iso = (ms: number) => new Date(ms).toISOString();
      return { lines: rows.length, bytes: rows.length * 100, oldest: ts.length ? iso(Math.min(...ts)) : null, newest: ts.length ? iso(Math.max(...ts)) : null };
    },
    async close() {},
  };
}

logStoreContract('in-memory reference', async () => referenceStore());
