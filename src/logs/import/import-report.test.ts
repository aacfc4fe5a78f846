import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesText, importSummary, progressLine, rateText, type ImportProgress } from './import-report.js';

const P: ImportProgress = {
  files: [{ path: 'a.log', size: 10 * 1024 * 1024 }, { path: 'b.log.gz', size: 2048 }],
  fileIndex: 0,
  fileBytesRead: 5 * 1024 * 1024,
  lines: 1_234_567,
  stored: 1_200_000,
  rejected: 12,
  elapsedMs: 2000,
};

test('progress: file k of N, share of its bytes, lines and rate, stored and rejected', () => {
  assert.equal(progressLine(P), 'importing 1/2 a.log: 50% of 10.0 MiB, 1,234,567 lines (617,284 lines/s), 1,200,000 stored, 12 rejected');
  assert.equal(progressLine({ ...P, files: [{ path: '/dev/stdin', size: 0 }], lines: 1 }), 'importing /dev/stdin: reading, 1 line (1 lines/s), 1,200,000 stored, 12 rejected');
  assert.equal(rateText(10, 50), '-');
  assert.deepEqual([0, 1023, 1024, 1536 * 1024].map(bytesText), ['0 B', '1023 B', '1.0 KiB', '1.5 MiB']);
});

test('summary: rejects by reason with at most two samples, sanitised and cut; a stop says where', () => {
  const tally = {
    parsed: 1_234_555,
    rejected: 12,
    reasons: { 'bad-time': 10, 'too-long': 2 },
    samples: { 'bad-time': ['x [99/Foo/2026] \u001b[2J', 'second', 'third'], 'too-long': ['y'.repeat(1000)] },
  };
  const text = importSummary({ ...P, fileIndex: 1 }, tally, null);
  const lines = text.split('\n');
  assert.equal(lines[0], 'imported 2 files in 2.0 s: read 1,234,567 lines (617,284 lines/s), stored 1,200,000, rejected 12');
  assert.equal(lines[1], '  rejected bad-time: 10, e.g. "x [99/Foo/2026] \\x1b[2J", "second"');
  assert.match(lines[2]!, /^ {2}rejected too-long: 2, e\.g\. "y{159}…"$/);
  assert.doesNotMatch(text, /\u001b/);
  const stopped = importSummary(P, { parsed: 0, rejected: 0, reasons: {}, samples: {} }, { fileLine: 1_000 });
  assert.match(stopped, /^stopped by Ctrl-C after 2\.0 s: read 1,234,567 lines/);
  assert.match(stopped, /\n {2}a\.log was read up to line 1,000 \(byte 5,242,880 of 10,485,760\); 1 more file not read\. Importing it again stores its first lines twice\.\n$/);
});
