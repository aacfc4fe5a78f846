/**
 * One process per state or spool directory: two shippers sharing offsets or a spool would each ship and
 * delete the other's batches. A `lock` file holds the owner's pid; a lock whose pid is gone (a SIGKILLed
 * shipper) is taken over.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Take `<dir>/lock`; a sentence naming the owner instead when a live process holds it. Call release() at exit. */
export async function lockDir(dir: string): Promise<{ release: () => Promise<void> } | string> {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) return `${dir} is in use by process ${pid}`;
    await unlink(path).catch(() => undefined);
  }
  return `${dir}: cannot take its lock file`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
