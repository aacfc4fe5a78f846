import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isVigiaError } from '../../core/errors.js';
import {
  ENVELOPE_FORMAT, MANIFEST_FILE, canonicalJson, generateSigningKeyPair, keyId, packArchive, sha256Hex, signRelease,
} from '../../core/contracts/bundle.js';
import type { ReleaseEnvelope, SignedRelease } from '../../core/contracts/bundle.js';
import { KEEP_RELEASES, bundleDirProblem, decideOffer, installRelease, readInstalled } from './installer.js';

const isRoot = process.getuid?.() === 0;
import type { InstalledState } from './installer.js';

const keys = generateSigningKeyPair();
const other = generateSigningKeyPair();
const trusted = [keys.publicKeyPem];
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (hours: number): Date => new Date(T0 + hours * 3_600_000);

const manifest = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'base', checks: [{ name: 'disk', command: 'bin/check_disk.sh' }] };

/** Archive bytes for a bundle whose check script prints `tag`. */
function archiveOf(tag: string): Buffer {
  return packArchive(manifest, [
    { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
    { path: 'bin/check_disk.sh', executable: true, data: Buffer.from(`#!/bin/sh\necho ${tag}\n`) },
    { path: 'lib/deep/common.sh', executable: false, data: Buffer.from('x=1\n') },
  ]).bytes;
}

function envelopeFor(archive: Buffer, release: number, extra: Partial<ReleaseEnvelope> = {}): ReleaseEnvelope {
  return {
    format: ENVELOPE_FORMAT, bundle: 'base', release, sha256: sha256Hex(archive), size: archive.length,
    created_at: at(0).toISOString(), expires_at: at(24 * 90).toISOString(), key_id: keyId(keys.publicKeyPem), ...extra,
  };
}

function offer(archive: Buffer, release: number, extra: Partial<ReleaseEnvelope> = {}): SignedRelease {
  return signRelease(envelopeFor(archive, release, extra), keys.privateKeyPem);
}

const roots: string[] = [];
after(async () => { for (const r of roots) await rm(r, { recursive: true, force: true }); });
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigia-installer-'));
  roots.push(dir);
  return dir;
}

/** What an observer of the state directory sees: state.json, where current points, what releases/ holds. */
async function snapshot(dir: string): Promise<{ state: string; current: string; releases: string[] }> {
  return {
    state: await readFile(join(dir, 'state.json'), 'utf8'),
    current: await readlink(join(dir, 'current')),
    releases: (await readdir(join(dir, 'releases'))).sort(),
  };
}

const code = (c: 'BUNDLE_ERR_REJECTED' | 'BUNDLE_ERR_SIGNATURE' | 'BUNDLE_ERR_INVALID', re: RegExp = /./) =>
  (err: unknown) => isVigiaError(err, c) && re.test(err.message);

describe('decideOffer', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  const env = (release: number, sha256: string): ReleaseEnvelope => ({
    format: ENVELOPE_FORMAT, bundle: 'base', release, sha256, size: 1, created_at: at(0).toISOString(), expires_at: at(10).toISOString(), key_id: '0'.repeat(16),
  });
  const installed: InstalledState = { release: 5, sha256: a, bundle: 'base', installed_at: at(0).toISOString(), expires_at: at(10).toISOString() };
  const cases: [string, ReleaseEnvelope, InstalledState | null, Date, string | RegExp][] = [
    ['first install', env(1, a), null, at(1), 'install'],
    ['higher release', env(6, b), installed, at(1), 'install'],
    ['higher release, same archive (pre-signed rollback)', env(7, a), installed, at(1), 'install'],
    ['same release and archive', env(5, a), installed, at(1), 'already'],
    ['same release and archive, past expiry', env(5, a), installed, at(11), 'already'],
    ['downgrade', env(4, a), installed, at(1), /release 4 is below the installed release 5 \(downgrade\)/],
    ['same release, other archive', env(5, b), installed, at(1), /release 5 is installed with sha256 a+, the offer names b+/],
    ['expired', env(6, b), installed, at(11), /release 6 expired at 2026-03-01T10:00:00.000Z/],
    ['expired first install', env(1, a), null, at(11), /expired/],
    ['exactly at expiry is still valid', env(6, b), installed, at(10), 'install'],
  ];
  for (const [name, o, inst, now, want] of cases) {
    it(name, () => {
      const d = decideOffer(o, inst, now);
      if (typeof want === 'string') assert.deepEqual(d, { action: want });
      else assert.ok(d.action === 'reject' && want.test(d.reason), JSON.stringify(d));
    });
  }
});

describe('installRelease', () => {
  it('installs: files and modes, current symlink, state.json', async () => {
    const dir = await stateDir();
    assert.equal(await readInstalled(dir), null);
    const archive = archiveOf('one');
    const sha = sha256Hex(archive);
    const state = await installRelease(dir, offer(archive, 1), archive, trusted, at(1));
    assert.deepEqual(state, { release: 1, sha256: sha, bundle: 'base', installed_at: at(1).toISOString(), expires_at: at(24 * 90).toISOString() });
    assert.deepEqual(await readInstalled(dir), state);
    assert.equal(await readlink(join(dir, 'current')), join('releases', sha));
    assert.equal(await readFile(join(dir, 'current', 'bin', 'check_disk.sh'), 'utf8'), '#!/bin/sh\necho one\n');
    const mode = async (p: string) => (await stat(join(dir, 'current', p))).mode & 0o777;
    assert.deepEqual(
      [await mode('.'), await mode('bin'), await mode('lib/deep'), await mode('bin/check_disk.sh'), await mode('lib/deep/common.sh'), await mode(MANIFEST_FILE)],
      [0o755, 0o755, 0o755, 0o755, 0o644, 0o644],
    );
    assert.deepEqual(await readdir(join(dir, 'releases')), [sha]);
    assert.deepEqual((await readdir(dir)).sort(), ['current', 'releases', 'state.json']);
  });

  it('refuses bad offers and keeps the previous release', async () => {
    const dir = await stateDir();
    const first = archiveOf('one');
    await installRelease(dir, offer(first, 5), first, trusted, at(1));
    const before = await snapshot(dir);
    const next = archiveOf('two');
    const flipped = Buffer.from(next);
    flipped[40] = flipped[40]! ^ 1;
    // A validly signed archive that parseArchive refuses: the check's script lost its exec bit.
    const doc = JSON.parse(next.toString()) as { files: { executable: boolean }[] };
    for (const f of doc.files) f.executable = false;
    const broken = Buffer.from(canonicalJson(doc));
    const otherManifest = { ...manifest, name: 'other' };
    const otherBundle = packArchive(otherManifest, [{ path: 'bin/check_disk.sh', executable: true, data: Buffer.from('') }, { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(otherManifest)) }]).bytes;
    const cases: [string, SignedRelease, Buffer, Date, ReturnType<typeof code>][] = [
      ['tampered archive', offer(next, 6), flipped, at(2), code('BUNDLE_ERR_REJECTED', /archive hash mismatch/)],
      ['size mismatch', offer(next, 6, { size: next.length + 1 }), next, at(2), code('BUNDLE_ERR_REJECTED', /archive hash mismatch/)],
      ['signed by an untrusted key', signRelease({ ...envelopeFor(next, 6), key_id: keyId(other.publicKeyPem) }, other.privateKeyPem), next, at(2), code('BUNDLE_ERR_SIGNATURE', /not a trusted key/)],
      ['signature of another key under our key_id', { ...offer(next, 6), signature: sign(null, Buffer.from(canonicalJson(envelopeFor(next, 6))), other.privateKeyPem).toString('base64') }, next, at(2), code('BUNDLE_ERR_SIGNATURE', /does not verify/)],
      ['downgrade', offer(next, 4), next, at(2), code('BUNDLE_ERR_REJECTED', /downgrade/)],
      ['same release, other archive', offer(next, 5), next, at(2), code('BUNDLE_ERR_REJECTED', /installed with sha256/)],
      ['expired', offer(next, 6), next, at(24 * 91), code('BUNDLE_ERR_REJECTED', /expired/)],
      ['archive of another bundle', offer(otherBundle, 6), otherBundle, at(2), code('BUNDLE_ERR_REJECTED', /holds bundle "other"/)],
      ['archive the agent cannot parse', offer(broken, 6), broken, at(2), code('BUNDLE_ERR_INVALID', /is not executable/)],
    ];
    for (const [name, signed, bytes, now, check] of cases) {
      await assert.rejects(installRelease(dir, signed, bytes, trusted, now), check, name);
      assert.deepEqual(await snapshot(dir), before, name);
    }
  });

  it('the installed release offered again is "already": nothing is touched', async () => {
    const dir = await stateDir();
    const archive = archiveOf('one');
    const signed = offer(archive, 1);
    const state = await installRelease(dir, signed, archive, trusted, at(1));
    const before = await snapshot(dir);
    assert.deepEqual(await installRelease(dir, signed, archive, trusted, at(2)), state);
    assert.deepEqual(await snapshot(dir), before);
  });

  it('a failure after the symlink swap puts current back', async () => {
    const dir = await stateDir();
    const first = archiveOf('one');
    await installRelease(dir, offer(first, 1), first, trusted, at(1));
    const before = await snapshot(dir);
    // A directory where the state's temporary file goes makes writing state.json fail.
    await mkdir(join(dir, 'state.json.tmp'));
    const next = archiveOf('two');
    await assert.rejects(installRelease(dir, offer(next, 2), next, trusted, at(2)), /EISDIR/);
    assert.equal((await snapshot(dir)).current, before.current);
    assert.equal((await snapshot(dir)).state, before.state);
    // Once the obstacle is gone the same offer installs, reusing the extracted directory.
    await rm(join(dir, 'state.json.tmp'), { recursive: true });
    assert.equal((await installRelease(dir, offer(next, 2), next, trusted, at(3))).release, 2);
    assert.equal(await readFile(join(dir, 'current', 'bin', 'check_disk.sh'), 'utf8'), '#!/bin/sh\necho two\n');
  });

  it('a pre-signed rollback to identical content installs; old releases are pruned, current kept', async () => {
    const dir = await stateDir();
    const archives = ['r1', 'r2', 'r3', 'r4', 'r5'].map(archiveOf);
    for (const [i, a] of archives.entries()) await installRelease(dir, offer(a, i + 1), a, trusted, at(i + 1));
    const shas = archives.map(sha256Hex);
    assert.deepEqual((await readdir(join(dir, 'releases'))).sort(), [shas[2], shas[3], shas[4]].sort());
    assert.equal(KEEP_RELEASES, 3);
    // Release 6 reverts release 5 to release 4's archive: the directory exists, only pointers move.
    const state = await installRelease(dir, offer(archives[3]!, 6, { reverts: 5 }), archives[3]!, trusted, at(6));
    assert.equal(state.sha256, shas[3]);
    assert.equal(await readlink(join(dir, 'current')), join('releases', shas[3]!));
    // Release 7 brings back r1, pruned earlier: extracted again; the oldest other (r3) goes.
    await installRelease(dir, offer(archives[0]!, 7), archives[0]!, trusted, at(7));
    assert.deepEqual((await readdir(join(dir, 'releases'))).sort(), [shas[0], shas[3], shas[4]].sort());
  });

  it('readInstalled throws on a corrupt state.json instead of forgetting what runs', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, 'state.json'), '{"release": 1');
    await assert.rejects(readInstalled(dir), code('BUNDLE_ERR_REJECTED', /state\.json: corrupt, not JSON/));
    await writeFile(join(dir, 'state.json'), '{"release": 0}');
    await assert.rejects(readInstalled(dir), code('BUNDLE_ERR_REJECTED', /state\.json: corrupt \(release:/));
    const archive = archiveOf('one');
    await assert.rejects(installRelease(dir, offer(archive, 1), archive, trusted, at(1)), code('BUNDLE_ERR_REJECTED', /corrupt/));
  });

  it('a state.json another user could rewrite is not trusted: no downgrade through it (issue 13, finding 8)', { skip: !isRoot && 'needs root (chown)' }, async () => {
    const dir = await stateDir();
    const a22 = archiveOf('r22');
    await installRelease(dir, offer(a22, 22), a22, trusted, at(1));
    // The checks user (nobody) owns the bundle directory: it rewrites state.json to an older release.
    await chown(dir, 65534, 65534);
    const forged = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as InstalledState;
    await rm(join(dir, 'state.json'));
    await writeFile(join(dir, 'state.json'), JSON.stringify({ ...forged, release: 18 }));
    await chown(join(dir, 'state.json'), 65534, 65534);
    const a19 = archiveOf('r19');
    await assert.rejects(installRelease(dir, offer(a19, 19), a19, trusted, at(2)), code('BUNDLE_ERR_REJECTED', /directory .* is owned by uid 65534 \(must be root or the agent's uid 0\)/));
    await assert.rejects(readInstalled(dir), code('BUNDLE_ERR_REJECTED', /cannot be trusted/));
    // The directory back to root: the forged state.json itself is still someone else's.
    await chown(dir, 0, 0);
    await assert.rejects(installRelease(dir, offer(a19, 19), a19, trusted, at(2)), code('BUNDLE_ERR_REJECTED', /state\.json is owned by uid 65534/));
    assert.equal(await readlink(join(dir, 'current')), join('releases', sha256Hex(a22)), 'release 22 still runs');
  });

  it('the bundle directory, state.json and releases/ must not be group- or world-writable, up to /', async () => {
    const dir = await stateDir();
    const a1 = archiveOf('one');
    await installRelease(dir, offer(a1, 1), a1, trusted, at(1));
    assert.equal(await bundleDirProblem(dir), undefined);
    await chmod(join(dir, 'state.json'), 0o666);
    assert.match((await bundleDirProblem(dir))!, /state\.json is group- and world-writable \(mode 0666\)/);
    const a2 = archiveOf('two');
    await assert.rejects(installRelease(dir, offer(a2, 2), a2, trusted, at(2)), code('BUNDLE_ERR_REJECTED', /state\.json is group- and world-writable/));
    await chmod(join(dir, 'state.json'), 0o644);
    await chmod(join(dir, 'releases'), 0o777);
    assert.match((await bundleDirProblem(dir))!, /releases is group- and world-writable/);
    await chmod(join(dir, 'releases'), 0o755);
    await chmod(join(dir, 'releases', sha256Hex(a1), 'bin', 'check_disk.sh'), 0o777);
    assert.match((await bundleDirProblem(dir, { release: sha256Hex(a1) }))!, /check_disk\.sh is group- and world-writable/);
    await chmod(join(dir, 'releases', sha256Hex(a1), 'bin', 'check_disk.sh'), 0o755);
    await chmod(dir, 0o775);
    assert.match((await bundleDirProblem(dir))!, /directory .* is group-writable \(mode 0775\)/);
    await chmod(dir, 0o755);
    const parent = await stateDir();
    await chmod(parent, 0o777);
    await mkdir(join(parent, 'bundles'));
    assert.match((await bundleDirProblem(join(parent, 'bundles')))!, /directory .* is group- and world-writable/);
    assert.equal(await bundleDirProblem(dir), undefined);
  });
});
