/**
 * Check bundles: the wire and disk contract shared by `vigia bundle publish` (producer), the control
 * plane (stores and serves them) and the agent (verifies, installs, runs the checks).
 *
 * Three things:
 * - the MANIFEST (`vigia-checks.yaml` in the bundle directory): which checks, how often, on which hosts;
 * - the ARCHIVE: the manifest plus every file of the directory, one canonical JSON document whose
 *   sha256 is the bundle's content address;
 * - the RELEASE ENVELOPE: a small signed statement "release N of bundle B is the archive with sha256 S,
 *   valid until E", signed with an ed25519 key that is not the API server's TLS key. Agents trust
 *   only envelopes signed by a key they were given, refuse release numbers below the one they run
 *   (downgrade) and envelopes past their expiry (replay/freeze), and check the archive's sha256.
 *   A rollback is a NEW release (a higher number) whose archive is the previous one: `publish`
 *   pre-signs it, so the control plane can roll back without holding the signing key.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VigiaError } from '../errors.js';
import { tagKeySchema, tagValueSchema } from './tags.js';
import { plural } from '../plural.js';

/** The manifest's file name inside a bundle directory. */
export const MANIFEST_FILE = 'vigia-checks.yaml';
/** Format tag of the archive document. */
export const ARCHIVE_FORMAT = 'vigia-bundle/1';
/** Format tag of the release envelope. */
export const ENVELOPE_FORMAT = 'vigia-release/1';
/** Most bytes an archive may take (the manifest and scripts, base64 inside JSON). */
export const MAX_ARCHIVE_BYTES = 16 * 1024 * 1024;
/** Most files a bundle may hold. */
export const MAX_BUNDLE_FILES = 1000;
/** Most checks a manifest may declare. */
export const MAX_CHECKS = 200;
/** Most bytes of a check's output kept and reported (Nagios plugins print one line plus perfdata). */
export const MAX_CHECK_OUTPUT_BYTES = 4096;

/** Check and bundle names: what appears in reports, metrics labels and file names. */
export const CHECK_NAME_RE = /^[a-z][a-z0-9_.-]{0,63}$/;
/**
 * A file path inside a bundle: relative, `/`-separated, no `.`/`..` segments, no empty segment
 * (`a//b`) and no trailing `/`, printable. So every path is its own normal form: two different
 * strings never name the same file on disk (the duplicate and file-versus-directory checks rely on it).
 */
export const BUNDLE_PATH_RE = /^(?!.*(?:^|\/)\.\.?(?:\/|$))(?!.*\/\/)(?!.*\/$)[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]{0,254}$/;

/** A `{name}` placeholder in a check's args (the names thresholds may have); anything else is literal. */
export const PLACEHOLDER_RE = /\{([a-z][a-z0-9_]{0,31})\}/g;

/** A duration written `500ms`, `30s`, `5m`, `2h`; parsed to milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^\d{1,7}(ms|s|m|h)$/, 'a duration such as 500ms, 30s, 5m or 2h')
  .transform((v) => {
    const m = /^(\d+)(ms|s|m|h)$/.exec(v)!;
    const n = Number(m[1]);
    return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  });

/**
 * One check. `command` is a file of the bundle (relative path) or an absolute path on the host (an
 * installed Nagios plugin such as /usr/lib/nagios/plugins/check_disk). It runs without a shell:
 * `args` are passed as they are, after `{name}` placeholders are replaced by `thresholds` values.
 * Exit codes follow the Nagios plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (anything
 * else, a signal, a timeout or a spawn error is UNKNOWN too).
 */
export const checkSpecSchema = z
  .object({
    name: z.string().regex(CHECK_NAME_RE, 'lower-case letters, digits, _ . -, starting with a letter, at most 64'),
    description: z.string().max(500).optional(),
    command: z.string().min(1).max(255).refine((v) => v.startsWith('/') ? !v.includes('\u0000') : BUNDLE_PATH_RE.test(v), 'an absolute path, or a relative path inside the bundle without . or .. segments'),
    args: z.array(z.string().max(1024).refine((v) => !v.includes('\u0000'), 'must not contain NUL')).max(64).default([]),
    interval: durationSchema.refine((ms) => ms >= 1000 && ms <= 86_400_000, 'between 1s and 24h').default('60s'),
    timeout: durationSchema.refine((ms) => ms >= 100 && ms <= 600_000, 'between 100ms and 10m').default('10s'),
    /** Values for `{name}` placeholders in args (e.g. warning: "80", critical: "90"). */
    thresholds: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), z.union([z.string().max(256), z.number().finite()]).transform(String)).default({}),
    /** Host tags that must all match for a host to run this check; omitted: every host. */
    where: z.record(tagKeySchema, tagValueSchema).default({}),
    /** Extra environment variables (the rest of the environment is clean, PATH fixed). */
    env: z
      .record(z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/).refine((k) => k !== 'PATH' && k !== 'VIGIA_CHECK_NAME', 'PATH and VIGIA_CHECK_NAME are set by the agent'), z.string().max(1024))
      .default({}),
  })
  .strict();

/** The manifest (`vigia-checks.yaml`). */
export const manifestSchema = z
  .object({
    apiVersion: z.literal('vigia/v1'),
    kind: z.literal('CheckBundle'),
    /** Bundle name (one fleet usually has one). */
    name: z.string().regex(CHECK_NAME_RE, 'lower-case letters, digits, _ . -, starting with a letter, at most 64'),
    checks: z.array(checkSpecSchema).max(MAX_CHECKS),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.checks.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['checks', i, 'name'], message: `check "${c.name}" is declared twice` });
      seen.add(c.name);
      // An unknown placeholder would stop the agent's check runner: refuse it at publish (and install).
      c.args.forEach((arg, j) => {
        for (const m of arg.matchAll(PLACEHOLDER_RE)) {
          if (!Object.prototype.hasOwnProperty.call(c.thresholds, m[1]!)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['checks', i, 'args', j], message: `unknown placeholder {${m[1]}} (thresholds: ${Object.keys(c.thresholds).join(', ') || 'none'})` });
        }
      });
    });
  });

/** One check as parsed (durations in ms). */
export type CheckSpec = z.output<typeof checkSpecSchema>;
/** A parsed manifest. */
export type BundleManifest = z.output<typeof manifestSchema>;

/** One file of an archive: its path, whether it is executable, its bytes (base64) and their sha256. */
export const archiveFileSchema = z
  .object({
    path: z.string().regex(BUNDLE_PATH_RE),
    executable: z.boolean(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    data: z.string().max(MAX_ARCHIVE_BYTES),
  })
  .strict();

/** The archive document (canonical JSON: keys sorted, files sorted by path, no whitespace). */
export const archiveSchema = z
  .object({
    format: z.literal(ARCHIVE_FORMAT),
    manifest: z.unknown(),
    files: z.array(archiveFileSchema).max(MAX_BUNDLE_FILES),
  })
  .strict();

/** The signed release statement. */
export const envelopeSchema = z
  .object({
    format: z.literal(ENVELOPE_FORMAT),
    bundle: z.string().regex(CHECK_NAME_RE),
    /** Monotonic release number; agents refuse one below what they run. */
    release: z.number().int().min(1).max(2 ** 31 - 1),
    /** sha256 (hex) of the archive bytes. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().min(1).max(MAX_ARCHIVE_BYTES),
    created_at: z.string().datetime(),
    /** After this instant no agent installs the release (the running one keeps running). */
    expires_at: z.string().datetime(),
    /** Which key signed it: first 16 hex digits of sha256 of the public key (SPKI DER). */
    key_id: z.string().regex(/^[0-9a-f]{16}$/),
    /** Set on a pre-signed rollback release: the release it undoes. */
    reverts: z.number().int().min(1).optional(),
  })
  .strict();

/** A parsed release envelope. */
export type ReleaseEnvelope = z.output<typeof envelopeSchema>;

/** An envelope with its signature, as published and served. */
export const signedReleaseSchema = z
  .object({
    /** The exact envelope text that was signed (canonical JSON); parsed with envelopeSchema. */
    envelope: z.string().min(2).max(4096),
    /** ed25519 signature of the envelope text's UTF-8 bytes, base64. */
    signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'an ed25519 signature in base64'),
  })
  .strict();

/** A signed release. */
export type SignedRelease = z.output<typeof signedReleaseSchema>;

/** One file of a bundle as read from a directory or an archive. */
export interface BundleFile {
  readonly path: string;
  readonly executable: boolean;
  readonly data: Buffer;
}

/** Lower-case hex sha256 of `data`. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * JSON with object keys sorted (by UTF-16 code unit) at every depth and no whitespace; arrays keep
 * their order. `toJSON` is honoured and `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  const v = value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  // Object.fromEntries defines own properties, so a `__proto__` key stays data, not a prototype.
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}

function problemsOf(error: z.ZodError, prefix?: string): string {
  return error.issues.slice(0, 10).map((i) => `${[...(prefix ? [prefix] : []), ...i.path].join('.') || '(root)'}: ${i.message}`).join('; ');
}

/**
 * Validate a raw manifest (the parsed YAML). Throws BUNDLE_ERR_INVALID starting with `source` and
 * naming every bad field path (`checks.2.interval: a duration such as ...`).
 */
export function parseManifest(raw: unknown, source: string = MANIFEST_FILE): BundleManifest {
  const r = manifestSchema.safeParse(raw);
  if (!r.success) throw new VigiaError('BUNDLE_ERR_INVALID', `${source}: ${problemsOf(r.error)}`);
  return r.data;
}

/**
 * Every relative check command must be an executable file of the bundle; returns one problem per
 * check that breaks this (empty: all good). Absolute commands are host paths and are not checked.
 */
export function commandProblems(manifest: BundleManifest, files: readonly Pick<BundleFile, 'path' | 'executable'>[]): string[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const problems: string[] = [];
  manifest.checks.forEach((c, i) => {
    if (c.command.startsWith('/')) return;
    const f = byPath.get(c.command);
    if (!f) problems.push(`checks.${i}.command: "${c.command}" is not a file of the bundle`);
    else if (!f.executable) problems.push(`checks.${i}.command: "${c.command}" is not executable`);
  });
  return problems;
}

/** Path problems an extraction would trip on: duplicates, and a path that is both a file and a directory. */
function pathProblems(paths: readonly string[]): string[] {
  const files = new Set<string>();
  const problems: string[] = [];
  for (const p of paths) {
    if (files.has(p)) problems.push(`files: duplicate path "${p}"`);
    files.add(p);
  }
  for (const p of files) {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      if (files.has(p.slice(0, i))) problems.push(`files: "${p.slice(0, i)}" is both a file and a directory`);
    }
  }
  return problems;
}

/**
 * Build the archive: `{format, manifest, files}` as canonical JSON, files sorted by path, each with
 * its sha256 and base64 data. `manifest` is the raw parsed YAML (kept as written, defaults not
 * filled). The result is checked with parseArchive, so anything packed here an agent accepts;
 * throws BUNDLE_ERR_INVALID otherwise (too many files, too large, bad manifest or paths).
 */
export function packArchive(manifest: unknown, files: readonly BundleFile[]): { bytes: Buffer; sha256: string } {
  if (files.length > MAX_BUNDLE_FILES) throw new VigiaError('BUNDLE_ERR_INVALID', `${plural(files.length, 'file')}, at most ${MAX_BUNDLE_FILES}`);
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const doc = {
    format: ARCHIVE_FORMAT,
    manifest,
    files: sorted.map((f) => ({ path: f.path, executable: f.executable, sha256: sha256Hex(f.data), data: f.data.toString('base64') })),
  };
  const bytes = Buffer.from(canonicalJson(doc), 'utf8');
  parseArchive(bytes);
  return { bytes, sha256: sha256Hex(bytes) };
}

/**
 * Parse and check an archive. Pure. Refuses (BUNDLE_ERR_INVALID, naming the problem): more than
 * MAX_ARCHIVE_BYTES (checked before parsing), non-JSON, a document archiveSchema refuses, an
 * invalid manifest, a file whose bytes do not match its sha256 or are not canonical base64,
 * duplicate paths or a path that is both file and directory, a relative check command that is not
 * an executable file of the archive.
 */
export function parseArchive(bytes: Buffer): { manifest: BundleManifest; files: BundleFile[] } {
  const invalid = (detail: string): VigiaError => new VigiaError('BUNDLE_ERR_INVALID', `archive: ${detail}`);
  if (bytes.length > MAX_ARCHIVE_BYTES) throw invalid(`${bytes.length} bytes, at most ${MAX_ARCHIVE_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new VigiaError('BUNDLE_ERR_INVALID', `archive: not JSON (${(err as Error).message})`, { cause: err });
  }
  const doc = archiveSchema.safeParse(raw);
  if (!doc.success) throw invalid(problemsOf(doc.error));
  const m = manifestSchema.safeParse(doc.data.manifest);
  if (!m.success) throw invalid(problemsOf(m.error, 'manifest'));
  const files = doc.data.files.map((f, i): BundleFile => {
    const data = Buffer.from(f.data, 'base64');
    // Buffer.from skips characters that are not base64; re-encoding catches that.
    if (data.toString('base64') !== f.data) throw invalid(`files.${i}.data: not canonical base64`);
    if (sha256Hex(data) !== f.sha256) throw invalid(`files.${i} ("${f.path}"): sha256 does not match its data`);
    return { path: f.path, executable: f.executable, data };
  });
  const problems = [...pathProblems(files.map((f) => f.path)), ...commandProblems(m.data, files)];
  if (problems.length) throw invalid(problems.join('; '));
  // Agents run the checks of the manifest FILE (it stays in the release directory): it must say
  // exactly what the archive's manifest says, which is what the publisher and control plane saw.
  const file = files.find((f) => f.path === MANIFEST_FILE);
  if (!file) throw invalid(`${MANIFEST_FILE} is missing`);
  let fromFile: unknown;
  try {
    fromFile = parseYaml(file.data.toString('utf8'));
  } catch {
    throw invalid(`${MANIFEST_FILE} is not valid YAML`);
  }
  const parsedFile = manifestSchema.safeParse(fromFile);
  if (!parsedFile.success || canonicalJson(parsedFile.data) !== canonicalJson(m.data)) throw invalid(`${MANIFEST_FILE} does not match the archive's manifest`);
  return { manifest: m.data, files };
}

/**
 * The checks every holder of a release applies to its archive, the same at publish (control plane)
 * and at install (agent): the archive's size and sha256 are the envelope's, parseArchive accepts it,
 * and its manifest names the envelope's bundle. Throws `code` (BUNDLE_ERR_INVALID at publish,
 * BUNDLE_ERR_REJECTED on a host) for a mismatch, BUNDLE_ERR_INVALID from parseArchive. Pure.
 */
export function checkReleaseArchive(envelope: Pick<ReleaseEnvelope, 'bundle' | 'sha256' | 'size'>, archive: Buffer, code: 'BUNDLE_ERR_INVALID' | 'BUNDLE_ERR_REJECTED'): { manifest: BundleManifest; files: BundleFile[] } {
  if (archive.length !== envelope.size || sha256Hex(archive) !== envelope.sha256) throw new VigiaError(code, 'archive hash mismatch: the archive does not match the signed sha256/size');
  const parsed = parseArchive(archive);
  if (parsed.manifest.name !== envelope.bundle) throw new VigiaError(code, `the archive holds bundle "${parsed.manifest.name}", the release names "${envelope.bundle}"`);
  return parsed;
}

/** The key id of an ed25519 public key (SPKI PEM): first 16 hex digits of sha256 of its SPKI DER. Throws BUNDLE_ERR_SIGNATURE for anything else. */
export function keyId(publicKeyPem: string): string {
  let der: Buffer;
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    der = key.export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new VigiaError('BUNDLE_ERR_SIGNATURE', `not an ed25519 public key (${(err as Error).message})`, { cause: err });
  }
  return sha256Hex(der).slice(0, 16);
}

/** A fresh ed25519 signing key pair: private key as PKCS8 PEM, public key as SPKI PEM. */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * Sign an envelope: the text is canonicalJson of the (validated) envelope, the signature ed25519
 * over its UTF-8 bytes. Throws BUNDLE_ERR_INVALID for an invalid envelope and BUNDLE_ERR_SIGNATURE
 * when `key_id` does not name the signing key (no agent could verify it).
 */
export function signRelease(envelope: ReleaseEnvelope, privateKeyPem: string): SignedRelease {
  const e = envelopeSchema.safeParse(envelope);
  if (!e.success) throw new VigiaError('BUNDLE_ERR_INVALID', `envelope: ${problemsOf(e.error)}`);
  const id = keyId(createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString());
  if (id !== e.data.key_id) throw new VigiaError('BUNDLE_ERR_SIGNATURE', `envelope key_id ${e.data.key_id} is not the signing key's (${id})`);
  const text = canonicalJson(e.data);
  return { envelope: text, signature: sign(null, Buffer.from(text, 'utf8'), privateKeyPem).toString('base64') };
}

/**
 * Verify a signed release against the trusted public keys (SPKI PEM) and return its envelope.
 * The key is chosen by the envelope's key_id; the signature must verify over the exact text, the
 * text must be canonical JSON and a valid envelope. Throws BUNDLE_ERR_SIGNATURE otherwise. Does not
 * look at expiry or release numbers (see the agent installer).
 */
export function verifyRelease(signed: SignedRelease, trustedPublicKeysPem: readonly string[]): ReleaseEnvelope {
  const fail = (detail: string): VigiaError => new VigiaError('BUNDLE_ERR_SIGNATURE', detail);
  const s = signedReleaseSchema.safeParse(signed);
  if (!s.success) throw fail(`signed release: ${problemsOf(s.error)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(s.data.envelope);
  } catch {
    throw fail('envelope is not JSON');
  }
  const id = parsed !== null && typeof parsed === 'object' ? (parsed as { key_id?: unknown }).key_id : undefined;
  if (typeof id !== 'string') throw fail('envelope has no key_id');
  const key = trustedPublicKeysPem.find((k) => keyId(k) === id);
  if (key === undefined) throw fail(`key_id ${JSON.stringify(id.slice(0, 32))} is not a trusted key`);
  if (!verify(null, Buffer.from(s.data.envelope, 'utf8'), key, Buffer.from(s.data.signature, 'base64'))) throw fail('signature does not verify');
  if (canonicalJson(parsed) !== s.data.envelope) throw fail('envelope text is not canonical JSON');
  const e = envelopeSchema.safeParse(parsed);
  if (!e.success) throw fail(`envelope: ${problemsOf(e.error)}`);
  return e.data;
}
