/**
 * Parser for /proc/<pid>/mountinfo (proc(5)). Pure: the caller reads the file.
 *
 *   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2) (3)  (4)     (5)         (6)      (7...)  (8) (9)   (10)        (11)
 */

/** One line of mountinfo, with the kernel's octal escapes (\040 \011 \012 \134) undone. */
export interface MountEntry {
  readonly mountId: number;
  readonly parentId: number;
  /** `major:minor` of st_dev for files on this filesystem. */
  readonly majorMinor: string;
  /** The directory of the filesystem that forms the root of this mount ("/" unless a bind of a subtree). */
  readonly root: string;
  /** The mountpoint as seen by the process whose mountinfo was read (the host, for pid 1). */
  readonly mountpoint: string;
  /** Per-mount options (`ro`, `nosuid`, ...). */
  readonly mountOptions: readonly string[];
  readonly fstype: string;
  /** Filesystem-specific source (`/dev/vda1`, `tmpfs`, `server:/export`). */
  readonly source: string;
  /** Per-superblock options. */
  readonly superOptions: readonly string[];
}

/** Undoes the kernel's `\ooo` octal escapes (space, tab, newline, backslash). */
export function unescapeMountField(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

const MAJOR_MINOR = /^\d+:\d+$/;

/** Parses one mountinfo line; null when malformed. */
export function parseMountinfoLine(line: string): MountEntry | null {
  const f = line.trim().split(/ +/);
  const sep = f.indexOf('-', 6);
  if (sep < 0 || f.length < sep + 4) return null;
  const [id, parent, mm, root, mountpoint, options] = f;
  if (id === undefined || parent === undefined || mm === undefined || root === undefined || mountpoint === undefined || options === undefined) return null;
  const mountId = Number(id);
  const parentId = Number(parent);
  if (!Number.isInteger(mountId) || !Number.isInteger(parentId) || !MAJOR_MINOR.test(mm)) return null;
  return {
    mountId,
    parentId,
    majorMinor: mm,
    root: unescapeMountField(root),
    mountpoint: unescapeMountField(mountpoint),
    mountOptions: options.split(','),
    fstype: unescapeMountField(f[sep + 1] ?? ''),
    source: unescapeMountField(f[sep + 2] ?? ''),
    superOptions: (f[sep + 3] ?? '').split(','),
  };
}

/** Parses a whole mountinfo file in order, skipping malformed lines. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const e = parseMountinfoLine(line);
    if (e) out.push(e);
  }
  return out;
}
