import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { isVigiaError } from '../errors.js';
import {
  ARCHIVE_FORMAT, BUNDLE_PATH_RE, ENVELOPE_FORMAT, MANIFEST_FILE, MAX_ARCHIVE_BYTES, MAX_BUNDLE_FILES,
  canonicalJson, generateSigningKeyPair, keyId, packArchive, parseArchive, parseManifest, sha256Hex, signRelease, verifyRelease,
} from './bundle.js';
import type { BundleFile, ReleaseEnvelope } from './bundle.js';

const manifest = {
  apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'base',
  checks: [
    { name: 'disk', command: 'bin/check_disk.sh', args: ['-w', '{warning}'], thresholds: { warning: 80 }, interval: '30s' },
    { name: 'load', command: '/usr/lib/nagios/plugins/check_load' },
  ],
};
const files: BundleFile[] = [
  { path: MANIFEST_FILE, executable: false, data: Buffer.from(JSON.stringify(manifest)) },
  { path: 'bin/check_disk.sh', executable: true, data: Buffer.from('#!/bin/sh\necho OK\n') },
  { path: 'lib/common.sh', executable: false, data: Buffer.from('x=1\n') },
];

function invalid(re: RegExp) {
  return (err: unknown) => isVigiaError(err, 'BUNDLE_ERR_INVALID') && re.test(err.message);
}
/** Re-serialise an archive after `edit` changed its document. */
function edited(bytes: Buffer, edit: (doc: { manifest: any; files: any[] }) => void): Buffer {
  const doc = JSON.parse(bytes.toString());
  edit(doc);
  return Buffer.from(JSON.stringify(doc));
}

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined, no whitespace', () => {
    const cases: [unknown, string][] = [
      [{ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}'],
      [{ a: undefined, b: 'x' }, '{"b":"x"}'],
      [[2, 1], '[2,1]'],
      ['s', '"s"'],
      [{ t: new Date('2026-01-01T00:00:00.000Z') }, '{"t":"2026-01-01T00:00:00.000Z"}'],
      [JSON.parse('{"__proto__":1,"a":2}'), '{"__proto__":1,"a":2}'],
    ];
    for (const [value, text] of cases) assert.equal(canonicalJson(value), text);
  });
});

describe('packArchive / parseArchive', () => {
  it('round-trips, sorts files, is deterministic whatever the input order', () => {
    const a = packArchive(manifest, files);
    const b = packArchive(manifest, [...files].reverse());
    assert.equal(a.sha256, b.sha256);
    assert.equal(a.sha256, sha256Hex(a.bytes));
    const doc = JSON.parse(a.bytes.toString());
    assert.equal(doc.format, ARCHIVE_FORMAT);
    assert.deepEqual(doc.files.map((f: { path: string }) => f.path), ['bin/check_disk.sh', 'lib/common.sh', MANIFEST_FILE]);
    const parsed = parseArchive(a.bytes);
    assert.equal(parsed.manifest.checks[0]?.interval, 30_000);
    assert.deepEqual(parsed.manifest.checks[0]?.thresholds, { warning: '80' });
    assert.deepEqual(parsed.files.map((f) => [f.path, f.executable, f.data.toString()]), [
      ['bin/check_disk.sh', true, '#!/bin/sh\necho OK\n'], ['lib/common.sh', false, 'x=1\n'], [MANIFEST_FILE, false, JSON.stringify(manifest)],
    ]);
  });

  it('refuses what an agent must not install, naming the problem', () => {
    const good = packArchive(manifest, files).bytes;
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('not json'), /not JSON/],
      [Buffer.alloc(MAX_ARCHIVE_BYTES + 1, 0x20), /at most 16777216/],
      [edited(good, (d) => { (d as any).format = 'other'; }), /format/],
      [edited(good, (d) => { d.manifest.checks[0].interval = 'soon'; }), /manifest\.checks\.0\.interval: a duration such as/],
      [edited(good, (d) => { d.files[0].data = Buffer.from('tampered').toString('base64'); }), /files\.0 \("bin\/check_disk.sh"\): sha256 does not match/],
      [edited(good, (d) => { d.files[1].data = 'eD0xCg=*='; }), /files\.1\.data: not canonical base64/],
      [edited(good, (d) => { d.files.push({ ...d.files[1] }); }), /duplicate path "lib\/common.sh"/],
      [edited(good, (d) => { d.files.push({ ...d.files[1], path: 'lib/common.sh/x' }); }), /"lib\/common.sh" is both a file and a directory/],
      [edited(good, (d) => { d.files[0].executable = false; }), /checks\.0\.command: "bin\/check_disk.sh" is not executable/],
      [edited(good, (d) => { d.files.shift(); }), /checks\.0\.command: "bin\/check_disk.sh" is not a file of the bundle/],
      [edited(good, (d) => { d.files[1].path = '../escape'; }), /files\.1\.path/],
      [edited(good, (d) => { d.files[1].path = '/etc/passwd'; }), /files\.1\.path/],
    ];
    for (const [bytes, re] of cases) assert.throws(() => parseArchive(bytes), invalid(re), String(re));
  });

  it('packArchive refuses too many files and an invalid manifest', () => {
    const many = Array.from({ length: MAX_BUNDLE_FILES + 1 }, (_, i) => ({ path: `f${i}`, executable: false, data: Buffer.from('') }));
    assert.throws(() => packArchive(manifest, [...files, ...many]), invalid(/at most 1000/));
    assert.throws(() => packArchive({ ...manifest, kind: 'Other' }, files), invalid(/manifest\.kind/));
  });
});

describe('signing', () => {
  const keys = generateSigningKeyPair();
  const other = generateSigningKeyPair();
  const envelope: ReleaseEnvelope = {
    format: ENVELOPE_FORMAT, bundle: 'base', release: 7, sha256: 'a'.repeat(64), size: 100,
    created_at: '2026-01-01T00:00:00.000Z', expires_at: '2026-04-01T00:00:00.000Z', key_id: keyId(keys.publicKeyPem),
  };
  const fails = (re: RegExp) => (err: unknown) => isVigiaError(err, 'BUNDLE_ERR_SIGNATURE') && re.test(err.message);

  it('keyId is 16 hex digits, stable, and refuses non-ed25519 keys', () => {
    assert.match(keyId(keys.publicKeyPem), /^[0-9a-f]{16}$/);
    assert.equal(keyId(keys.publicKeyPem), keyId(keys.publicKeyPem));
    assert.notEqual(keyId(keys.publicKeyPem), keyId(other.publicKeyPem));
    assert.throws(() => keyId('nope'), fails(/not an ed25519 public key/));
  });

  it('a signed release verifies with its key among the trusted ones', () => {
    const signed = signRelease(envelope, keys.privateKeyPem);
    assert.equal(signed.envelope, canonicalJson(envelope));
    assert.deepEqual(verifyRelease(signed, [other.publicKeyPem, keys.publicKeyPem]), envelope);
  });

  it('refuses unknown keys, bad signatures and non-canonical or invalid envelopes', () => {
    const signed = signRelease(envelope, keys.privateKeyPem);
    // A validly signed text signRelease would never produce (it canonicalises and validates).
    const resign = (text: string) => ({ envelope: text, signature: sign(null, Buffer.from(text), keys.privateKeyPem).toString('base64') });
    const cases: [unknown, readonly string[], RegExp][] = [
      [signed, [other.publicKeyPem], /is not a trusted key/],
      [{ ...signed, envelope: signed.envelope.replace('"release":7', '"release":8') }, [keys.publicKeyPem], /signature does not verify/],
      [signRelease({ ...envelope, key_id: keyId(other.publicKeyPem) }, other.privateKeyPem), [keys.publicKeyPem], /is not a trusted key/],
      [{ ...signed, signature: 'x' }, [keys.publicKeyPem], /signature/],
      [resign(JSON.stringify(envelope, null, 1)), [keys.publicKeyPem], /not canonical JSON/],
      [resign(canonicalJson({ ...envelope, release: 0 })), [keys.publicKeyPem], /envelope: release/],
      [resign('[1]'), [keys.publicKeyPem], /no key_id/],
    ];
    for (const [value, trusted, re] of cases) assert.throws(() => verifyRelease(value as never, trusted), fails(re), String(re));
  });

  it('signRelease refuses a key_id that is not the signing key and an invalid envelope', () => {
    assert.throws(() => signRelease(envelope, other.privateKeyPem), fails(/is not the signing key/));
    assert.throws(() => signRelease({ ...envelope, sha256: 'x' }, keys.privateKeyPem), invalid(/envelope: sha256/));
  });
});

describe('manifest placeholders', () => {
  it('refuses an args placeholder with no threshold (it would stop every agent\'s check runner)', () => {
    const m = { apiVersion: 'vigia/v1', kind: 'CheckBundle', name: 'b', checks: [{ name: 'c', command: '/bin/true', args: ['-w', '{warnng}', '{print $1}'], thresholds: { warning: 1 } }] };
    assert.throws(() => parseManifest(m), (e) => isVigiaError(e, 'BUNDLE_ERR_INVALID') && /checks\.0\.args\.1: unknown placeholder \{warnng\} \(thresholds: warning\)/.test(e.message));
    assert.equal(parseManifest({ ...m, checks: [{ ...m.checks[0]!, args: ['-w', '{warning}', '{print $1}'] }] }).checks[0]!.args[2], '{print $1}');
  });
});

it('BUNDLE_PATH_RE: every accepted path is its own normal form (no empty segment, no trailing /, no . or ..)', () => {
  for (const ok of ['a', 'bin/c.sh', 'a/b/c', '.hidden/x', 'a..b', 'x@1+2_3-4']) assert.ok(BUNDLE_PATH_RE.test(ok), ok);
  for (const bad of ['a//b', 'bin/', 'a/b/', '/abs', '.', '..', 'a/./b', 'a/../b', '', 'a b', 'a\\b']) assert.ok(!BUNDLE_PATH_RE.test(bad), bad);
});
