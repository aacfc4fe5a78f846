/**
 * The agent's channel to the control plane for fleet changes: one outbound long-poll, so hosts expose
 * nothing new and it works behind NAT.
 *
 *   GET /v1/agent/poll?release=R&sha256=S&wait=55       (host token)
 *   If-None-Match: "r<desired release the agent last saw>"
 *
 * `release`/`sha256` say what the agent runs now (0 and empty: no bundle). The control plane answers
 * at once when it has something new for the host (a different desired release than If-None-Match, or
 * fleet-run tasks), else holds the request up to `wait` seconds (0-60) and answers 304. One poll per
 * ~60 s per host (the same load as a plain 60 s poll) while a change reaches a host in milliseconds.
 *
 *   GET  /v1/agent/bundles/<sha256>                     the archive bytes (immutable)
 *   POST /v1/agent/bundle-status                        install outcome of a release (ok / failed + why)
 *   POST /v1/agent/tasks/<id>/result                    outcome of one fleet-run task
 */
import { z } from 'zod';
import { signedReleaseSchema } from './bundle.js';
import type { JsonShape } from './json-shape.js';

/** Longest a poll may be held, seconds. */
export const MAX_POLL_WAIT_SECONDS = 60;

/** The poll's query. */
export const pollQuerySchema = z
  .object({
    release: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(0),
    sha256: z.union([z.literal(''), z.string().regex(/^[0-9a-f]{64}$/)]).default(''),
    wait: z.coerce.number().int().min(0).max(MAX_POLL_WAIT_SECONDS).default(0),
  })
  .strict();

/**
 * Action names, as in the agent's URLs `/v1/actions/<name>` and manifests: lowercase, starting with a
 * letter. The agent's allow-list, a fleet run's request and the task it hands each host all use it.
 */
export const ACTION_NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;
/** Action parameter names (manifests, `vigia run --param`, a task's params). */
export const PARAM_NAME_RE = /^[a-z][a-z0-9_]{0,31}$/;
/** Most parameters an action declares, and so one call or fleet run may pass. */
export const MAX_ACTION_PARAMS = 32;
/** Most characters of a string parameter's value. */
export const MAX_ACTION_PARAM_LENGTH = 4096;
/** An action parameter's value on the wire. */
export const actionParamValueSchema = z.union([z.string().max(MAX_ACTION_PARAM_LENGTH), z.number().finite(), z.boolean()]);
/**
 * The structural bounds (json-shape.ts) of an action call's body on the agent (`POST /v1/actions/<name>`):
 * one flat object of at most MAX_ACTION_PARAMS parameters.
 */
export const ACTION_PARAMS_SHAPE: JsonShape = Object.freeze({ maxDepth: 1, maxKeys: MAX_ACTION_PARAMS, maxItems: 0, maxStringLength: MAX_ACTION_PARAM_LENGTH });

/** One fleet-run task for one host: run allow-listed action `action` with `params`. */
export const agentTaskSchema = z
  .object({
    id: z.string().regex(/^[0-9]{1,12}-[0-9]{1,12}$/),
    run_id: z.number().int().min(1),
    action: z.string().regex(ACTION_NAME_RE),
    params: z.record(z.string().regex(PARAM_NAME_RE), actionParamValueSchema),
    timeout_ms: z.number().int().min(1000).max(3_600_000),
  })
  .strict();

/** A task as the agent receives it. */
export type AgentTask = z.output<typeof agentTaskSchema>;

/** 200 answer of a poll. */
export const pollResponseSchema = z
  .object({
    /** The release this host should run (null: none published for it yet). */
    desired: z.object({ release: z.number().int().min(1), signed: signedReleaseSchema }).strict().nullable(),
    tasks: z.array(agentTaskSchema).max(100),
  })
  .strict();

/** A poll's 200 answer. */
export type PollResponse = z.output<typeof pollResponseSchema>;

/** Most characters of a bundle status's error. */
export const MAX_BUNDLE_STATUS_ERROR = 1024;
/** Most characters of a task result's output. */
export const MAX_TASK_OUTPUT = 4096;

/** POST /v1/agent/bundle-status body. */
export const bundleStatusSchema = z
  .object({
    release: z.number().int().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    status: z.enum(['installed', 'rejected', 'failed']),
    /** Why, when not installed (signature, downgrade, expired, hash mismatch, disk ...). */
    error: z.string().max(MAX_BUNDLE_STATUS_ERROR).nullable(),
  })
  .strict();

/** The structural bounds (json-shape.ts) of a bundle-status body. */
export const BUNDLE_STATUS_SHAPE: JsonShape = Object.freeze({ maxDepth: 1, maxKeys: Object.keys(bundleStatusSchema.shape).length, maxItems: 0, maxStringLength: Math.max(64, MAX_BUNDLE_STATUS_ERROR) });

/** An install outcome. */
export type BundleStatus = z.output<typeof bundleStatusSchema>;

/** POST /v1/agent/tasks/:id/result body. */
export const taskResultSchema = z
  .object({
    status: z.enum(['succeeded', 'failed', 'timed_out', 'rejected']),
    exit_code: z.number().int().nullable(),
    duration_ms: z.number().int().min(0),
    /** The tail of stdout+stderr (or why it was rejected), at most 4 KiB. */
    output: z.string().max(MAX_TASK_OUTPUT),
  })
  .strict();

/** The structural bounds (json-shape.ts) of a task-result body. */
export const TASK_RESULT_SHAPE: JsonShape = Object.freeze({ maxDepth: 1, maxKeys: Object.keys(taskResultSchema.shape).length, maxItems: 0, maxStringLength: MAX_TASK_OUTPUT });

/** A task outcome. */
export type TaskResult = z.output<typeof taskResultSchema>;

/** Check states, Nagios plugin exit-code convention. */
export const CHECK_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
/** One of CHECK_STATES. */
export type CheckState = (typeof CHECK_STATES)[number];
