/**
 * The pull target file: which hosts the control plane scrapes itself (a `vigia agent`'s JSON API or a
 * node_exporter's /metrics), so a fleet can adopt the control plane before every host runs an agent
 * that pushes. YAML or JSON (YAML is a superset): a list of targets, or `{ targets: [...] }`.
 *
 *   - host: db-00001
 *     kind: node_exporter
 *     url: http://10.0.0.1:9100
 *     tags: { env: prod }
 *     roles: [{ role: data, match: /srv/mysql }, { role: binlog, match: "/binlog/" }]
 *   - host: db-00002
 *     kind: agent
 *     url: https://10.0.0.2:9187
 *     token_file: tokens/db-00002.token
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { hostNameSchema } from '../../core/contracts/host-report.js';
import { tagsSchema } from '../../core/contracts/tags.js';
import { VigiaError } from '../../core/errors.js';
import { compileMountPattern, compileRoleRules, type RoleMatcher, type RoleRuleSpec } from './role-rules.js';

/** Where a target's figures come from. */
export type PullTargetKind = 'agent' | 'node_exporter';

/** Most targets one file may list (a pull loop is not meant to replace pushing agents at scale). */
export const MAX_PULL_TARGETS = 20_000;

/** zod keeps running refinements after a failed .url(): parse without throwing. */
function safeUrl(u: string): URL | null {
  try {
    return new URL(u);
  } catch {
    return null;
  }
}

const roleRuleSchema = z
  .object({
    role: z.enum(['data', 'binlog', 'other']),
    match: z.string().min(1).max(1024).superRefine((m, ctx) => {
      try {
        compileMountPattern(m);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      }
    }),
  })
  .strict();

/** One entry as written in the file. */
export const pullTargetEntrySchema = z
  .object({
    host: hostNameSchema,
    kind: z.enum(['agent', 'node_exporter']),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(safeUrl(u)?.protocol ?? 'http:'), 'must be an http:// or https:// URL')
      .refine((u) => !safeUrl(u)?.username && !safeUrl(u)?.password, 'must not carry credentials; use token_file'),
    token_file: z.string().min(1).optional(),
    tags: tagsSchema.optional(),
    roles: z.array(roleRuleSchema).max(64).optional(),
  })
  .strict();

/** One entry as written in the file (validated). */
export type PullTargetEntry = z.infer<typeof pullTargetEntrySchema>;

/** A ready target: token read, roles compiled. Frozen. */
export interface PullTarget {
  readonly host: string;
  readonly kind: PullTargetKind;
  /** Base URL (no trailing slash). */
  readonly url: string;
  /** Bearer token sent to the target, or null. */
  readonly token: string | null;
  readonly tags: Readonly<Record<string, string>>;
  /** The rules as written (null: the defaults for node_exporter, the agent's own roles for agents). */
  readonly roleRules: readonly RoleRuleSpec[] | null;
  readonly roles: RoleMatcher;
}

/**
 * Validate a parsed target file (pure). Throws VIGIA_ERR_CONFIG naming the entry and field, e.g.
 * `targets[2] (db-00003).url: must be an http:// or https:// URL`; also on duplicate host names.
 */
export function parsePullTargets(value: unknown, source = 'targets'): PullTargetEntry[] {
  const list = Array.isArray(value) ? value : value !== null && typeof value === 'object' && 'targets' in value ? (value as { targets: unknown }).targets : undefined;
  if (!Array.isArray(list)) throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: expected a list of targets (or { targets: [...] })`);
  if (list.length > MAX_PULL_TARGETS) throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: at most ${MAX_PULL_TARGETS} targets, got ${list.length}`);
  const out: PullTargetEntry[] = [];
  const seen = new Map<string, number>();
  list.forEach((raw, i) => {
    const name = raw !== null && typeof raw === 'object' && typeof (raw as { host?: unknown }).host === 'string' ? ` (${String((raw as { host: string }).host).slice(0, 100)})` : '';
    const r = pullTargetEntrySchema.safeParse(raw);
    if (!r.success) {
      const problems = r.error.issues.slice(0, 3).map((iss) => `${iss.path.length ? '.' + iss.path.join('.') : ''}: ${iss.message}`);
      throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: targets[${i}]${name}${problems.join('; ')}`);
    }
    const prev = seen.get(r.data.host);
    if (prev !== undefined) throw new VigiaError('VIGIA_ERR_CONFIG', `${source}: targets[${i}]${name}.host: duplicate of targets[${prev}]`);
    seen.set(r.data.host, i);
    out.push(r.data);
  });
  return out;
}

/**
 * Read and validate a target file, read every token_file (relative paths are relative to the target
 * file), compile the role rules. Throws VIGIA_ERR_CONFIG naming the file and entry.
 */
export function loadPullTargets(path: string, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): PullTarget[] {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${path}: cannot read the pull target file`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new VigiaError('VIGIA_ERR_CONFIG', `${path}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  return parsePullTargets(parsed, path).map((e, i) => {
    let token: string | null = null;
    if (e.token_file) {
      const tokenPath = resolve(dirname(path), e.token_file);
      try {
        token = readFile(tokenPath).trim();
      } catch (err) {
        throw new VigiaError('VIGIA_ERR_CONFIG', `${path}: targets[${i}] (${e.host}).token_file: cannot read ${tokenPath}`, { cause: err });
      }
      if (!token) throw new VigiaError('VIGIA_ERR_CONFIG', `${path}: targets[${i}] (${e.host}).token_file: ${tokenPath} is empty`);
    }
    return toPullTarget(e, token);
  });
}

/** A validated entry plus its token as a ready target (pure). */
export function toPullTarget(e: PullTargetEntry, token: string | null): PullTarget {
  return Object.freeze({
    host: e.host,
    kind: e.kind,
    url: e.url.replace(/\/+$/, ''),
    token,
    tags: Object.freeze({ ...(e.tags ?? {}) }),
    roleRules: e.roles ? Object.freeze(e.roles.map((r) => Object.freeze({ ...r }))) : null,
    roles: compileRoleRules(e.roles),
  });
}
