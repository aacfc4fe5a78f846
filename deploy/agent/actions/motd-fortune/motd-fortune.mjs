#!/usr/bin/env node
// vigia action motd-fortune: the classic cron one-liner `fortune | boxes -d parchment > /etc/motd`
// as a safe action. Run by the agent as `node motd-fortune.mjs -- <width>` with a clean environment:
//   MOTD_PATH    file to write (default /etc/motd). Atomically (temp file in the same directory,
//                mode 0644, fsync, rename) when the action's user may create files in that directory;
//                otherwise rewritten in place (O_WRONLY|O_TRUNC, write, fsync) when the file itself is
//                writable by the action's user. See README.md for the two ways to grant either.
//   FORTUNE_DIR  fortune-mod data (default /usr/share/games/fortunes): %-separated text files;
//                a small bundled list is used when there is none.
// Prints the scroll on stdout. Exit codes: 0 written, 4 bad arguments, 1 cannot write.
import { randomInt, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLED = [
  'The best way to predict the future is to invent it.\n\t\t-- Alan Kay',
  'Hope is not a strategy.\n\t\t-- SRE proverb',
  'There is no place like 127.0.0.1.',
  'Simple things should be simple, complex things should be possible.\n\t\t-- Alan Kay',
  'A distributed system is one in which the failure of a computer you didn\'t even know existed can render your own computer unusable.\n\t\t-- Leslie Lamport',
  'Everything fails, all the time.\n\t\t-- Werner Vogels',
];

/** Split fortune-mod text into entries (separated by lines holding only `%`). */
export function parseFortunes(text) {
  return text
    .split(/\r?\n%\r?\n|^%\r?\n/m)
    .map((f) => f.replace(/\n%\s*$/, '').trim())
    .filter((f) => f.length > 0);
}

/** Read every fortune file in `dir` (files without an extension; .dat/.u8 are indexes/variants). */
export function loadFortunes(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out = [];
  for (const n of names.sort()) {
    if (n.includes('.')) continue;
    const p = join(dir, n);
    try {
      if (!statSync(p).isFile()) continue;
      out.push(...parseFortunes(readFileSync(p, 'utf8')));
    } catch {
      // unreadable file: skip it
    }
  }
  return out;
}

/** Wrap text to `width` columns, keeping its line breaks; tabs become spaces, control characters go. */
export function wrapText(text, width) {
  const lines = [];
  for (const raw of text.replace(/\t/g, '    ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').split('\n')) {
    let line = raw.replace(/\s+$/, '');
    if (line === '') {
      lines.push('');
      continue;
    }
    while ([...line].length > width) {
      const chars = [...line];
      let cut = chars.slice(0, width + 1).join('').lastIndexOf(' ');
      if (cut <= 0) cut = chars.slice(0, width).join('').length;
      lines.push(line.slice(0, cut).replace(/\s+$/, ''));
      line = line.slice(cut).replace(/^\s+/, '');
    }
    lines.push(line);
  }
  return lines;
}

/** Frame `text` as a paper scroll `width` columns wide (like `boxes -d parchment`). */
export function frameScroll(text, width) {
  const w = width - 6; // columns between the scroll's two side bars
  const lines = wrapText(text, w - 3);
  const pad = (s) => s + ' '.repeat(Math.max(0, w - 2 - [...s].length));
  const body = lines.map((l, i) => `${i === 0 ? '\\_|' : '  |'}  ${pad(l)}|`);
  return [
    ` ${'_'.repeat(w + 2)}`,
    `/\\${' '.repeat(w + 1)}\\`,
    ...body,
    `  |${' '.repeat(w)}|`,
    `  |   ${'_'.repeat(w - 3)}|_`,
    `   \\_/${'_'.repeat(w - 1)}/`,
  ].join('\n') + '\n';
}

/** Replace `path` with `content` atomically (temp file in the same directory, mode 0644 whatever the umask, fsync, rename). */
export function writeAtomic(path, content) {
  const tmp = join(dirname(path), `.${basename(path)}.vigia-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    fchmodSync(fd, 0o644); // the umask may have taken bits off; the motd must be world-readable
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/** Rewrite the existing file `path` in place (O_WRONLY|O_TRUNC, no O_CREAT, write, fsync); its owner and mode stay. */
export function writeInPlace(path, content) {
  const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.from(content, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `content` to `path`: atomically when the directory allows creating the temp file, else in
 * place when the file exists and is writable. Returns how: 'atomic' or 'in-place'. Throws the atomic
 * attempt's error when neither works.
 */
export function writeMotd(path, content) {
  try {
    writeAtomic(path, content);
    return 'atomic';
  } catch (err) {
    if (err.code !== 'EACCES' && err.code !== 'EPERM' && err.code !== 'EROFS') throw err;
    try {
      writeInPlace(path, content);
      return 'in-place';
    } catch {
      throw err;
    }
  }
}

function main() {
  const argv = process.argv;
  const sep = argv.indexOf('--');
  const arg = sep === -1 ? undefined : argv[sep + 1];
  const width = arg === undefined ? 72 : Number(arg);
  if (!Number.isInteger(width) || width < 40 || width > 100 || (arg !== undefined && !/^[0-9]+$/.test(arg))) {
    process.stderr.write('motd-fortune: width must be an integer 40..100\n');
    process.exit(4);
  }
  const motd = process.env.MOTD_PATH || '/etc/motd';
  const all = loadFortunes(process.env.FORTUNE_DIR || '/usr/share/games/fortunes');
  const fitting = all.filter((f) => f.length <= 600 && wrapText(f, width - 9).length <= 12);
  const pool = fitting.length > 0 ? fitting : BUNDLED;
  const scroll = frameScroll(pool[randomInt(pool.length)], width);
  try {
    writeMotd(motd, scroll);
  } catch (err) {
    process.stderr.write(`motd-fortune: cannot write ${motd}: ${err.code ?? err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(scroll);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
