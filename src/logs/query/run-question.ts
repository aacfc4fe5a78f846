/**
 * The one flow of every question command: open the source, ask, render, close; when the answer is empty,
 * say why (an empty store, or stored lines outside the range asked) instead of printing an empty table.
 */
import { sanitiseText } from '../../core/sanitise.js';
import type { StoreStats } from '../store/log-store.js';
import { emptyStoreMessage, openQuestions } from './open-questions.js';
import type { AnswerSource } from './query-options.js';
import type { LogQuestions } from './remote-questions.js';

/** Where a command writes: stdout for the answer, stderr for notes (injectable for tests). */
export interface Output {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The process's own streams. */
export const processOutput: Output = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** The hint after an empty table when the store holds lines, just not in the range asked. */
export function outsideRangeHint(stats: StoreStats): string {
  if (stats.lines === 0 || stats.oldest === null || stats.newest === null) return '';
  return `(the store holds ${stats.lines.toLocaleString('en-US')} lines logged from ${sanitiseText(stats.oldest)} to ${sanitiseText(stats.newest)}: widen the range, e.g. --since all)\n`;
}

/**
 * Ask one question of `source` and print the answer. `isEmpty` says when the answer has no rows; then
 * an empty store is said in one line (on stdout for `table`, on stderr beside the empty document for
 * json and csv so scripts still get valid output), and a store with lines elsewhere gets a hint.
 */
export async function runQuestion<R>(
  source: AnswerSource,
  format: string,
  ask: (q: LogQuestions) => Promise<R>,
  render: (r: R) => string,
  isEmpty: (r: R) => boolean,
  io: Output = processOutput,
): Promise<void> {
  const questions = await openQuestions(source);
  if (questions === null) {
    if (format === 'table') io.out(emptyStoreMessage(source));
    else io.err(emptyStoreMessage(source));
    if (format !== 'table') io.out(render(await emptyAnswer(ask)));
    return;
  }
  try {
    const answer = await ask(questions);
    if (isEmpty(answer)) {
      const stats = await questions.stats();
      if (stats.lines === 0) {
        if (format === 'table') io.out(emptyStoreMessage(source));
        else {
          io.err(emptyStoreMessage(source));
          io.out(render(answer));
        }
        return;
      }
      io.out(render(answer));
      (format === 'table' ? io.out : io.err)(outsideRangeHint(stats));
      return;
    }
    io.out(render(answer));
  } finally {
    await questions.close();
  }
}

/** The answer of an empty store without opening one: every question asked of a source with no lines. */
async function emptyAnswer<R>(ask: (q: LogQuestions) => Promise<R>): Promise<R> {
  const empty: LogQuestions = {
    who: async (q) => ({ url: q.url, clients: [] }),
    top: async (q) => ({ by: q.by, rows: [] }),
    visits: async (q) => ({ ip: q.ip, urls: [] }),
    series: async () => ({ step_seconds: 60, points: [] }),
    overview: async () => ({ requests: 0, unique_visitors: 0, bytes: 0, first: null, last: null, status: [], top_urls: [], not_found: [], referrers: [], agents: [], bots: [], hourly: new Array<number>(24).fill(0) }),
    stats: async () => ({ lines: 0, bytes: 0, oldest: null, newest: null }),
    close: async () => {},
  };
  return ask(empty);
}
