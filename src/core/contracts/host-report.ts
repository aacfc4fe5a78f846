/**
 * The host report: what an agent pushes to the control plane every interval (and what the control
 * plane builds itself when it pulls an agent's JSON API or a node_exporter's /metrics). Shared by
 * producer (agent, simulator, pullers) and consumer (control-plane ingest); the schema is the wire
 * contract, so a field is added as optional first and never changes meaning.
 */
import { z } from 'zod';
import { jsonShapeProblem, type JsonShape } from './json-shape.js';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS, tagsSchema } from './tags.js';

/** Version of the report format this build writes and reads. */
export const HOST_REPORT_VERSION = 1;

/** Most bytes one report may take on the wire (a host with 256 mounts and 256 disks fits in ~150 KiB). */
export const MAX_REPORT_BYTES = 256 * 1024;
/** Most devices (mounted filesystems) and disks (block devices) one report may list. */
export const MAX_REPORT_DEVICES = 256;
export const MAX_REPORT_DISKS = 256;
/** Most characters of a report's longest texts (a mountpoint, a device path, a check's output). */
export const MAX_REPORT_TEXT = 1024;

/** Most characters of a host name. */
export const MAX_HOST_NAME_LENGTH = 253;
/** Host names: DNS-like, 1-253 chars of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const HOST_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
/** The host name rule in words, for messages that name what is wrong. */
export const HOST_NAME_RULE = 'letters, digits, . _ -, at most 253, starting with a letter or digit';
/** One host name (HOST_NAME_RE): in reports, enrolment, pull targets. */
export const hostNameSchema = z.string().regex(HOST_NAME_RE, `host name: ${HOST_NAME_RULE}`);

const pct = z.number().finite().min(0).max(100);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const rate = z.number().finite().min(0).max(1e15);
/** Text PostgreSQL can store: no NUL (text and jsonb refuse it, failing a whole ingest batch). */
const text = (min: number, max: number) => z.string().min(min).max(max).refine((v) => !v.includes('\u0000'), 'must not contain NUL');
const shortText = (max: number) => z.string().min(1).max(max).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** One mounted filesystem (a trimmed DeviceInfo of the agent). Figures are null when statfs failed. */
export const reportDeviceSchema = z
  .object({
    // 1024 UTF-8 bytes: mountpoints are keys of btree indexes (a 2,704-byte row limit, and 1024
    // characters of CJK text are ~3 KB); real ones are far shorter.
    mountpoint: text(1, MAX_REPORT_TEXT).refine((v) => v.startsWith('/'), 'must start with /').refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_REPORT_TEXT, `at most ${MAX_REPORT_TEXT} bytes (UTF-8)`),
    device: text(1, MAX_REPORT_TEXT).refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_REPORT_TEXT, `at most ${MAX_REPORT_TEXT} bytes (UTF-8)`),
    fstype: shortText(64),
    role: z.enum(['data', 'binlog', 'other']),
    read_only: z.boolean(),
    size_bytes: bytes.nullable(),
    used_bytes: bytes.nullable(),
    avail_bytes: bytes.nullable(),
    use_pct: pct.nullable(),
    inodes_total: bytes.nullable(),
    inodes_used: bytes.nullable(),
    inode_use_pct: pct.nullable(),
    /** Why the figures are null (e.g. `STATFS_TIMEOUT`), else null. */
    error: text(0, 512).nullable(),
  })
  .strict();

/** One block device's I/O over the report interval (iostat -x figures). */
export const reportDiskSchema = z
  .object({
    device: shortText(128),
    reads_per_s: rate,
    writes_per_s: rate,
    read_bytes_per_s: rate,
    write_bytes_per_s: rate,
    await_ms: rate,
    util_pct: pct,
  })
  .strict();

/** The host's CPU, load, memory and disks over the report interval. */
export const reportSystemSchema = z
  .object({
    cpu: z
      .object({
        user_pct: pct,
        system_pct: pct,
        iowait_pct: pct,
        steal_pct: pct,
        idle_pct: pct,
        cpus: z.number().int().min(1).max(65536),
      })
      .strict(),
    load1: z.number().finite().min(0).max(1e6),
    load5: z.number().finite().min(0).max(1e6),
    load15: z.number().finite().min(0).max(1e6),
    mem_total_bytes: bytes,
    mem_used_pct: pct,
    swap_used_pct: pct,
    uptime_seconds: z.number().finite().min(0).max(1e10),
    disks: z.array(reportDiskSchema).max(MAX_REPORT_DISKS),
  })
  .strict();

/** Most check results one report may carry (a manifest declares at most 200 checks). */
export const MAX_REPORT_CHECKS = 200;

/** The latest result of one check (Nagios plugin convention). */
export const reportCheckSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/),
    state: z.enum(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN']),
    /** First line of the plugin's output (perfdata included), at most 1024 bytes. */
    output: text(0, MAX_REPORT_TEXT),
    /** When the check finished (host clock). */
    at: z.string().datetime({ offset: false }),
    duration_ms: z.number().int().min(0).max(3_600_000),
  })
  .strict();

/** Check results of the bundle release the host runs. */
export const reportChecksSchema = z
  .object({
    release: z.number().int().min(1),
    results: z.array(reportCheckSchema).max(MAX_REPORT_CHECKS),
  })
  .strict();

/** Most processes a report carries: the host's top ones by CPU. */
export const MAX_REPORT_PROCESSES = 10;

/**
 * One of the host's top processes by CPU over the report interval. Only the kernel's short name
 * (comm), never the command line: command lines can hold secrets, and they stay on the agent's own API
 * (`GET /v1/processes`, redacted unless the token has scope `cmdline`).
 */
export const reportProcessSchema = z
  .object({
    pid: z.number().int().min(1).max(4_194_304),
    name: text(1, 64),
    user: text(1, 64),
    /** Percent of ONE CPU, like top (may exceed 100 for a multi-threaded process). */
    cpu_pct: z.number().finite().min(0).max(100_000),
    rss_bytes: bytes,
  })
  .strict();

/** A whole report. `sampled_at` (host clock) identifies it: the same host and sampled_at twice is a replay. */
export const hostReportSchema = z
  .object({
    v: z.literal(HOST_REPORT_VERSION),
    host: hostNameSchema,
    /** ISO 8601 UTC with milliseconds, e.g. 2026-12-01T07:00:00.000Z (host clock). */
    sampled_at: z.string().datetime({ offset: false, precision: 3 }),
    /** The agent's report interval, seconds; the control plane calls a host stale after N of them. */
    interval_seconds: z.number().int().min(1).max(86_400),
    agent: z.object({ version: text(1, 64) }).strict(),
    tags: tagsSchema,
    /** Null when the producer cannot tell (e.g. a node_exporter without the cpu collector). */
    system: reportSystemSchema.nullable(),
    devices: z.array(reportDeviceSchema).max(MAX_REPORT_DEVICES),
    /** Latest result of each check of the installed bundle (absent: no bundle, or an older agent). */
    checks: reportChecksSchema.optional(),
    /** The top processes by CPU, most first (absent: an older agent, or a source that cannot tell). */
    processes: z.array(reportProcessSchema).max(MAX_REPORT_PROCESSES).optional(),
  })
  .strict();

/**
 * The structural bounds of a report (src/core/contracts/json-shape.ts), from the same limits as the
 * schema: checked first by parseHostReport, so a report far outside them (20,000 tag keys) is refused
 * without the schema running. Objects: the tags, or the widest strict object.
 */
export const HOST_REPORT_SHAPE: JsonShape = Object.freeze({
  // report > system > disks > one disk (and report > checks > results > one result)
  maxDepth: 4,
  maxKeys: Math.max(
    MAX_TAGS,
    ...[hostReportSchema, reportSystemSchema, reportSystemSchema.shape.cpu, reportDeviceSchema, reportDiskSchema, reportChecksSchema, reportCheckSchema, reportProcessSchema].map((s) => Object.keys(s.shape).length),
  ),
  maxItems: Math.max(MAX_REPORT_DEVICES, MAX_REPORT_DISKS, MAX_REPORT_CHECKS),
  // Tag keys are at most 64.
  maxStringLength: Math.max(MAX_REPORT_TEXT, MAX_TAG_VALUE_LENGTH, MAX_HOST_NAME_LENGTH),
});

/** One host report as sent on the wire. */
export type HostReport = z.infer<typeof hostReportSchema>;
/** One of the top processes of a report. */
export type ReportProcess = z.infer<typeof reportProcessSchema>;
/** The check results part of a report. */
export type ReportChecks = z.infer<typeof reportChecksSchema>;
/** One check result in a report. */
export type ReportCheck = z.infer<typeof reportCheckSchema>;
/** One mounted filesystem in a report. */
export type ReportDevice = z.infer<typeof reportDeviceSchema>;
/** One block device's I/O rates in a report. */
export type ReportDisk = z.infer<typeof reportDiskSchema>;
/** CPU, load, memory and disks in a report. */
export type ReportSystem = z.infer<typeof reportSystemSchema>;

/** Result of validating untrusted JSON: the report, or the first problems with their field paths. */
export type ParseReportResult = { ok: true; report: HostReport } | { ok: false; problems: string[] };

/**
 * Validate an already JSON-parsed value as a host report; problems name the field path (at most 5).
 * The structure is checked against HOST_REPORT_SHAPE first, so the schema never runs on a value that
 * could only be refused, however large its refusal would be.
 */
export function parseHostReport(value: unknown): ParseReportResult {
  const outside = jsonShapeProblem(value, HOST_REPORT_SHAPE);
  if (outside !== undefined) return { ok: false, problems: [outside] };
  const r = hostReportSchema.safeParse(value);
  if (r.success) return { ok: true, report: r.data };
  return { ok: false, problems: r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(report)'}: ${i.message}`) };
}
