import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { tempDir } from '../../test/support/tmp.js';
import { readConfigFile, refuseIfReadableByOthers, warnIfReadableByOthers } from './config-file.js';
import { isVigiaError } from './errors.js';

test('config files: read, or one error naming the flag and the path; group/other-readable ones warned or refused', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const file = join(tmp.dir, 'token');
  await writeFile(file, 'secret\n', { mode: 0o600 });
  await chmod(file, 0o600);
  assert.equal(await readConfigFile(file, '--token-file'), 'secret\n');
  const missing = join(tmp.dir, 'nope');
  await assert.rejects(readConfigFile(missing, '--token-file'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith(`--token-file: cannot read ${missing} (ENOENT)`));

  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  await warnIfReadableByOthers(file, log, '--auth-token-file');
  await refuseIfReadableByOthers(file, '--token-file');
  assert.deepEqual(lines, []);

  await chmod(file, 0o640);
  await warnIfReadableByOthers(file, log, '--auth-token-file');
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]!).msg, `--auth-token-file: ${file} is readable by group or others (mode 640); chmod 600 it`);
  await assert.rejects(refuseIfReadableByOthers(file, '--token-file'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith(`: --token-file: ${file} is readable by group or others (mode 640); chmod 600 it`));
});
