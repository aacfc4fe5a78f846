/**
 * Device-mapper and LVM identity of a block device, from sysfs and udev's database (no shelling out
 * to lvs/dmsetup). Parsing is pure; `readDmInfo` does the reads under the given roots.
 */
import { readFile } from 'node:fs';
import path from 'node:path';
import type { HostRoots } from '../model.js';
import { parseUdevProperties } from './udev.js';

/** An LVM volume group / logical volume pair. */
export interface LvmName {
  readonly vg: string;
  readonly lv: string;
}

/** What sysfs and udev say about one device-mapper device. */
export interface DmInfo {
  readonly dmName: string | null;
  readonly dmUuid: string | null;
  readonly lvm: LvmName | null;
}


/** VG/LV from udev properties (DM_VG_NAME, DM_LV_NAME), or null when udev does not know them. */
export function lvmFromUdev(props: ReadonlyMap<string, string>): LvmName | null {
  const vg = props.get('DM_VG_NAME');
  const lv = props.get('DM_LV_NAME');
  return vg && lv ? { vg, lv } : null;
}

/**
 * Splits a dm name the way LVM builds it: parts joined by a single `-`, with `-` inside a part doubled
 * (`vg--a-lv--b` -> vg `vg-a`, lv `lv-b`). A third part (a layer such as `-real`, `-cow`) is dropped.
 * Null when there is no unescaped separator.
 */
export function splitDmName(name: string): LvmName | null {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charAt(i);
    if (c !== '-') cur += c;
    else if (name.charAt(i + 1) === '-') {
      cur += '-';
      i++;
    } else {
      parts.push(cur);
      cur = '';
    }
  }
  parts.push(cur);
  const [vg, lv] = parts;
  return parts.length >= 2 && vg && lv ? { vg, lv } : null;
}

/** LVM identity: udev first; else a dm uuid starting with `LVM-` plus the dm name split. */
export function resolveLvm(udev: ReadonlyMap<string, string> | null, dmName: string | null, dmUuid: string | null): LvmName | null {
  const fromUdev = udev ? lvmFromUdev(udev) : null;
  if (fromUdev) return fromUdev;
  if (dmName && dmUuid?.startsWith('LVM-')) return splitDmName(dmName);
  return null;
}

/** A file's trimmed text, null when missing or empty (callback API: no FileHandle, no throw). */
function readTrimmed(file: string): Promise<string | null> {
  return new Promise((resolve) =>
    readFile(file, 'utf8', (err, text) => {
      const s = err ? '' : text.trim();
      resolve(s === '' ? null : s);
    }),
  );
}

/**
 * Reads dm name/uuid (`<sysfs>/dev/block/<mm>/dm/`, else `<sysfs>/block/<name>/dm/`) and udev's
 * `<udevData>/b<mm>`. Missing files mean "not dm" / "not known", never an error.
 */
export async function readDmInfo(roots: HostRoots, majorMinor: string, kernelName: string | null): Promise<DmInfo> {
  let dmDir = path.join(roots.sysfs, 'dev', 'block', majorMinor, 'dm');
  let dmName = await readTrimmed(path.join(dmDir, 'name'));
  if (dmName === null && kernelName) {
    dmDir = path.join(roots.sysfs, 'block', kernelName, 'dm');
    dmName = await readTrimmed(path.join(dmDir, 'name'));
  }
  const dmUuid = dmName === null ? null : await readTrimmed(path.join(dmDir, 'uuid'));
  const udevText = await readTrimmed(path.join(roots.udevData, `b${majorMinor}`));
  const udev = udevText === null ? null : parseUdevProperties(udevText);
  return { dmName, dmUuid, lvm: resolveLvm(udev, dmName, dmUuid) };
}
