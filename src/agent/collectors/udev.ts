/** udev's database (`/run/udev/data/b<major>:<minor>`): device properties such as DM_VG_NAME. */

/** The `E:KEY=value` properties of one udev database file (pure); other line kinds are skipped, values may hold '='. */
export function parseUdevProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('E:')) continue;
    const eq = line.indexOf('=');
    if (eq > 2) out.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return out;
}
