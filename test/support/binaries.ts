/** Locate a binary a test needs; fail (never skip) with the install hint when it is missing. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const HINTS: Record<string, string> = {
  'redis-server': 'apt-get install -y redis-server',
  'redis-cli': 'apt-get install -y redis-server',
  'redis-benchmark': 'apt-get install -y redis-server',
  'redis-sentinel': 'apt-get install -y redis-sentinel',
  haproxy: 'apt-get install -y haproxy',
  promtool: 'apt-get install -y prometheus',
  wrk: 'apt-get install -y wrk',
  'prometheus-node-exporter': 'apt-get install -y prometheus-node-exporter',
  podman: 'apt-get install -y podman runc',
  runc: 'apt-get install -y runc',
  bindfs: 'apt-get install -y bindfs',
  'mkfs.xfs': 'apt-get install -y xfsprogs',
  mariadbd: 'apt-get install -y mariadb-server',
  'mariadb-install-db': 'apt-get install -y mariadb-server',
  openssl: 'apt-get install -y openssl',
  'systemd-analyze': 'apt-get install -y systemd',
};

/** Absolute path of `name` on PATH (plus /usr/sbin), or throw with how to install it. */
export function requireBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} not found on PATH; install it with: ${HINTS[name] ?? `apt-get install ${name}`} (npm test installs it: bash scripts/setup.sh)`);
}
