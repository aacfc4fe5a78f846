/**
 * Opens the source of a question's answers (I/O): the embedded store in --data-dir, a store by URL, or a
 * running collector. A --data-dir that does not exist is not created (a question never makes a store
 * appear): it answers `null`, which the caller reports as an empty store.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_LOGS_DATA_DIR, openLogStore } from '../store/open-store.js';
import type { AnswerSource } from './query-options.js';
import { remoteQuestions, remoteTarget, type LogQuestions } from './remote-questions.js';

/** The questions of `source`, or null when it is a --data-dir that holds no store yet. The caller closes it. */
export async function openQuestions(source: AnswerSource): Promise<LogQuestions | null> {
  if (source.kind === 'server') return remoteQuestions(await remoteTarget(source.url, source.tokenFile));
  if (source.kind === 'store') return openLogStore({ url: source.url });
  if (!existsSync(source.dataDir)) return null;
  return openLogStore({ dataDir: source.dataDir });
}

/** Where the source is, in words, for messages (a URL's credentials are never part of it: --store refuses none, --server refuses them). */
export function sourceName(source: AnswerSource): string {
  return source.kind === 'data-dir' ? source.dataDir : source.url.replace(/\/\/[^/@]*@/, '//');
}

/** The line that says a store is empty, naming the command that fills it. */
export function emptyStoreMessage(source: AnswerSource): string {
  const where = source.kind === 'data-dir' && source.dataDir !== DEFAULT_LOGS_DATA_DIR ? ` --data-dir ${source.dataDir}` : source.kind === 'store' ? ` --store ${sourceName(source)}` : '';
  return source.kind === 'server'
    ? `no log lines stored yet in the collector at ${sourceName(source)}; point vigia logs ship or pipe at it, or import some with vigia logs import FILE...\n`
    : `no log lines stored yet in ${sourceName(source)}; import some with vigia logs import FILE...${where}\n`;
}
