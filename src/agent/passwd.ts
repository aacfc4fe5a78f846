/** passwd(5) files, read without NSS or a shell-out: the host's (process owners) and the agent's (action users). */

/** One passwd line: name, uid and gid (gid null when the field is not a number). */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number | null;
}

/** The entries of passwd(5) text, in file order (pure); comments, blank and malformed lines are skipped. */
export function parsePasswdEntries(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (!f[0] || f[2] === undefined || f[2] === '' || !Number.isInteger(Number(f[2]))) continue;
    const gid = f[3] === undefined || f[3] === '' || !Number.isInteger(Number(f[3])) ? null : Number(f[3]);
    out.push({ name: f[0], uid: Number(f[2]), gid });
  }
  return out;
}
