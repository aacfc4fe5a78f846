import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureLogger } from '../../test/support/log.js';
import { tempDir } from '../../test/support/tmp.js';
import { readClientToken, readConfigFile, readTlsFiles, refuseIfReadableByOthers, tlsFilesSchema, warnIfReadableByOthers } from './config-file.js';
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

  const { log, lines } = captureLogger();
  await warnIfReadableByOthers(file, log, '--auth-token-file');
  await refuseIfReadableByOthers(file, '--token-file');
  assert.equal(lines.length, 0);

  await chmod(file, 0o640);
  await warnIfReadableByOthers(file, log, '--auth-token-file');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.msg, `--auth-token-file: ${file} is readable by group or others (mode 640); chmod 600 it`);
  await assert.rejects(refuseIfReadableByOthers(file, '--token-file'), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith(`: --token-file: ${file} is readable by group or others (mode 640); chmod 600 it`));
});

test('TLS files: none when TLS is off; cert and key, and ca only with --tls-client-ca; a missing one named by its flag', async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const [cert, key, ca] = ['cert.pem', 'key.pem', 'ca.pem'].map((f) => join(tmp.dir, f)) as [string, string, string];
  for (const f of [cert, key, ca]) await writeFile(f, `PEM ${f}`);
  assert.equal(await readTlsFiles(undefined), undefined);
  const files = await readTlsFiles({ cert, key });
  assert.deepEqual(files && Object.keys(files), ['cert', 'key']);
  assert.equal(files?.cert.toString(), `PEM ${cert}`);
  assert.equal((await readTlsFiles({ cert, key, clientCa: ca }))?.ca?.toString(), `PEM ${ca}`);
  await assert.rejects(readTlsFiles({ cert, key: join(tmp.dir, 'nope') }), (e) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith(`--tls-key: cannot read ${join(tmp.dir, 'nope')} (ENOENT)`));
  assert.equal(tlsFilesSchema.safeParse({ cert, key, extra: 1 }).success, false);
});

test("client token files: one rule for every client command (vigia token new's `token:` line, comments, hashes refused)", async (t) => {
  const tmp = tempDir();
  t.after(tmp.remove);
  const write = async (name: string, text: string): Promise<string> => {
    const file = join(tmp.dir, name);
    await writeFile(file, text, { mode: 0o600 });
    return file;
  };
  assert.equal(await readClientToken(await write('plain', 'vop_abc\n'), '--token-file'), 'vop_abc');
  assert.equal(await readClientToken(await write('printed', '# ops\ntoken: vop_def\nhash:  sha256:00 scopes=read\n'), '--token-file'), 'vop_def');
  await assert.rejects(readClientToken(await write('empty', '\n# nothing\n'), '--admin-token-file'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith(`--admin-token-file ${join(tmp.dir, 'empty')}: holds no token`));
  await assert.rejects(readClientToken(await write('hash', `sha256:${'a'.repeat(64)}\n`), '--token-file'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && /holds a token hash/.test(e.message));
  await assert.rejects(readClientToken(join(tmp.dir, 'missing'), '--ingest-token-file'), (e: unknown) => isVigiaError(e, 'VIGIA_ERR_CONFIG') && e.message.endsWith(`--ingest-token-file: cannot read ${join(tmp.dir, 'missing')} (ENOENT)`));
});
