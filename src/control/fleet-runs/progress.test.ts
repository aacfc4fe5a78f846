import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunCounts } from './engine.js';
import { exitCodeFor, renderProgressLine, renderResultLine, renderSummary } from './progress.js';
import type { SummaryRow } from './progress.js';

function counts(over: Partial<RunCounts>): RunCounts {
  const base = { targets: 1000, pending: 0, inFlight: 0, succeeded: 0, failed: 0, timedOut: 0, rejected: 0, notDispatched: 0, maxErrors: 10, ...over };
  return { ...base, errors: base.failed + base.timedOut + base.rejected };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

test('renderProgressLine', () => {
  const mid = counts({ succeeded: 400, failed: 2, inFlight: 10, pending: 588 });
  const cases: Array<{ c: RunCounts; elapsedMs: number; width: number; want: string }> = [
    // 402 done in 10 s = 40.2/s; 598 left -> 14.9 s; bar 18 columns * 40.2% = 7.
    { c: mid, elapsedMs: 10_000, width: 80, want: '[#######...........] 402/1000  ok 400  err 2  in-flight 10  40 hosts/s  eta 15 s' },
    { c: counts({ pending: 1000 }), elapsedMs: 0, width: 80, want: '[........................] 0/1000  ok 0  err 0  in-flight 0  0.0 hosts/s  eta --' },
    { c: counts({ targets: 10000, succeeded: 100, pending: 9900 }), elapsedMs: 100_000, width: 80, want: '[...........] 100/10000  ok 100  err 0  in-flight 0  1.0 hosts/s  eta 2 h 45 min' },
    { c: counts({ targets: 4, succeeded: 1, failed: 1, inFlight: 2 }), elapsedMs: 2_000, width: 70, want: '[########........] 2/4  ok 1  err 1  in-flight 2  1.0 hosts/s  eta 2 s' },
    { c: counts({ targets: 4, succeeded: 4 }), elapsedMs: 200_000, width: 65, want: '[##########] 4/4  ok 4  err 0  in-flight 0  0.02 hosts/s  eta 0 s' },
    { c: counts({ targets: 0 }), elapsedMs: 1_000, width: 64, want: '[##########] 0/0  ok 0  err 0  in-flight 0  0.0 hosts/s  eta 0 s' },
    // Undispatched hosts show as skipped; no room for a bar below 10 columns.
    { c: counts({ targets: 10, succeeded: 3, failed: 2, notDispatched: 5 }), elapsedMs: 4_000, width: 70, want: '5/10  ok 3  err 2  in-flight 0  skipped 5  1.3 hosts/s  eta 0 s' },
    // Narrower than the text: cut to the width.
    { c: mid, elapsedMs: 10_000, width: 30, want: '402/1000  ok 400  err 2  in-fl' },
  ];
  for (const { c, elapsedMs, width, want } of cases) {
    const line = renderProgressLine(c, elapsedMs, width, false);
    assert.equal(line, want);
    assert.ok(line.length <= width, `${line.length} > ${width}`);
    if (line.startsWith('[')) assert.equal(line.length, width, 'the bar takes the rest of the width');
    assert.doesNotMatch(line, /\x1b/, 'no ANSI without color');
  }
});

test('renderProgressLine with color adds ANSI codes that do not count toward the width', () => {
  const c = counts({ succeeded: 400, failed: 2, inFlight: 10, pending: 588 });
  const colored = renderProgressLine(c, 10_000, 80, true);
  assert.match(colored, /\x1b\[32mok 400\x1b\[0m/);
  assert.match(colored, /\x1b\[31merr 2\x1b\[0m/);
  assert.equal(stripAnsi(colored), renderProgressLine(c, 10_000, 80, false));
});

const rows: SummaryRow[] = [
  { host: 'web-2', status: 'succeeded', exitCode: 0, durationMs: 1_234, output: 'deleted 12 files\n' },
  { host: 'db-1', status: 'failed', exitCode: 2, durationMs: 850, output: 'starting\nerror: disk full\n\n' },
  { host: 'web-1', status: 'succeeded', exitCode: 0, durationMs: 75_000, output: '' },
  { host: 'db-3', status: 'timed_out', exitCode: null, durationMs: null, output: 'still going' },
  { host: 'db-2', status: 'failed', exitCode: 1, durationMs: 12, output: '\x1b[2Jpwned\x07 \tcolumns' },
  { host: 'db-9', status: 'not_dispatched', exitCode: null, durationMs: null, output: '' },
];

test('renderSummary: failed first, columns aligned, totals line', () => {
  const c = counts({ targets: 6, succeeded: 2, failed: 2, timedOut: 1, notDispatched: 1, maxErrors: 0 });
  assert.equal(
    renderSummary(rows, c),
    [
      'HOST   STATUS          EXIT  DURATION    OUTPUT',
      'db-1   failed          2     850 ms      error: disk full',
      'db-2   failed          1     12 ms       \\x1b[2Jpwned\\x07 columns',
      'db-3   timed out       -     -           still going',
      'db-9   not dispatched  -     -',
      'web-1  succeeded       0     1 min 15 s',
      'web-2  succeeded       0     1.2 s       deleted 12 files',
      'succeeded 2, failed 2, timed out 1, not dispatched 1 of 6 hosts',
      '',
    ].join('\n'),
  );
});

test('renderSummary: at most maxRows rows, then "... and K more"; long output is cut', () => {
  const c = counts({ targets: 1000, succeeded: 990, failed: 3, timedOut: 1, notDispatched: 6 });
  const out = renderSummary(rows, c, { maxRows: 2, outputWidth: 8 });
  assert.equal(
    out,
    [
      'HOST  STATUS  EXIT  DURATION  OUTPUT',
      'db-1  failed  2     850 ms    error: …',
      'db-2  failed  1     12 ms     \\x1b[2J…',
      '... and 4 more',
      'succeeded 990, failed 3, timed out 1, not dispatched 6 of 1000 hosts',
      '',
    ].join('\n'),
  );
  assert.equal(renderSummary([], counts({ targets: 3, succeeded: 3 })), 'succeeded 3, failed 0, timed out 0, not dispatched 0 of 3 hosts\n');
  assert.equal(
    renderSummary([], counts({ targets: 5, succeeded: 1, rejected: 1, inFlight: 2, pending: 1 })),
    'succeeded 1, failed 0, timed out 0, rejected 1, in flight 2, pending 1, not dispatched 0 of 5 hosts\n',
  );
  assert.equal(renderSummary(rows, counts({}), { maxRows: 0 }).split('\n')[0], '... and 6 more');
});

test('exitCodeFor', () => {
  const cases: Array<[Parameters<typeof exitCodeFor>[0], Partial<RunCounts>, number]> = [
    ['succeeded', { succeeded: 1000 }, 0],
    ['failed', { succeeded: 990, failed: 10, maxErrors: 10 }, 1],
    ['failed', { succeeded: 999, rejected: 1, maxErrors: 1 }, 1],
    ['failed', { succeeded: 989, failed: 11, maxErrors: 10 }, 2],
    ['failed', { succeeded: 100, failed: 1, timedOut: 1, notDispatched: 898, maxErrors: 1 }, 2],
    ['cancelled', { succeeded: 10, notDispatched: 990 }, 3],
    ['cancelled', { failed: 50, notDispatched: 950, maxErrors: 0 }, 3],
  ];
  for (const [state, over, want] of cases) assert.equal(exitCodeFor(state, counts(over)), want, `${state} ${JSON.stringify(over)}`);
});

test('renderSummary: host output with bidi overrides, zero-width characters or ESC sequences is shown escaped, never raw', () => {
  const hostile: SummaryRow[] = [
    { host: 'db-1\u202e', status: 'failed', exitCode: 1, durationMs: 5, output: 'purged \u202e000321.gol-nib\u200b \u001b]8;;http://evil\u0007here\u001b]8;;\u0007\n' },
  ];
  const out = renderSummary(hostile, counts({ targets: 1, failed: 1 }), { outputWidth: 200 });
  assert.equal(/[\p{Cc}\p{Cf}\u2028\u2029]/u.exec(out.replace(/\n/g, '')), null, out);
  assert.match(out, /db-1\\u202e +failed +1 +5 ms +purged \\u202e000321\.gol-nib\\u200b \\x1b\]8;;http:\/\/evil\\x07here\\x1b\]8;;\\x07\n/);
});

test('renderResultLine: the live line of a failed host shows its last output line escaped, table', () => {
  const cases: [Parameters<typeof renderResultLine>[0], string][] = [
    [{ host: 'db-1', state: 'failed', exit_code: 2, output: 'starting\nerror: disk full\n' }, 'db-1: failed (exit 2) error: disk full'],
    [{ host: 'db-2', state: 'timed_out', exit_code: null, output: '' }, 'db-2: timed_out'],
    // A bare CR would rewrite the line, ESC ] 8 plant a hyperlink, U+202E reverse the text.
    [{ host: 'db-3', state: 'failed', exit_code: 1, output: 'real error\rall good \u001b]8;;http://evil\u0007x\u202e' }, 'db-3: failed (exit 1) all good \\x1b]8;;http://evil\\x07x\\u202e'],
  ];
  for (const [r, want] of cases) assert.equal(renderResultLine(r), want);
});
