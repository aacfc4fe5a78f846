/**
 * Host reports from a `vigia agent`'s JSON API (GET /v1/devices and /v1/system with a read token), for
 * agents that are not (yet) configured to push. The agent's answers are untrusted input: they are
 * checked with a lenient schema of just the fields a report needs (the agent may add fields), and
 * values the report contract would reject are clamped, as the agent's own report builder does.
 *
 * The JSON shapes and their schemas are the agent API contract (src/core/contracts/agent-api.ts), which
 * the agent's server produces.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { agentDevicesSchema, agentSystemSchema, reportableSystem, type AgentDevice } from '../../core/contracts/agent-api.js';
import { reportDevice, reportSystem } from '../../core/contracts/fit-report.js';
import { HOST_REPORT_VERSION, MAX_REPORT_DEVICES, type HostReport, type ReportDevice, type ReportSystem } from '../../core/contracts/host-report.js';
import type { RoleMatcher } from './role-rules.js';
import { pullGet, PullError, type PullSource } from './source.js';
import type { PullTarget } from './targets.js';


/** Everything about a host that is not in the agent's answers. */
export interface AgentReportOptions {
  readonly host: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly intervalSeconds: number;
  /** Roles from the target file, overriding the agent's; null keeps the agent's own (it knows MySQL's paths). */
  readonly roles: RoleMatcher | null;
  /** When the answers were fetched, ms. */
  readonly sampledAtMs: number;
  /** `agent.version` of the report (default `vigia-agent (pulled)`). */
  readonly agentVersion?: string;
}

function toDevice(d: AgentDevice, roles: RoleMatcher | null): ReportDevice {
  const role = roles ? ([d.mountpoint, ...d.aliases.map((a) => a.mountpoint)].map(roles).find((r) => r !== 'other') ?? 'other') : d.role;
  return reportDevice(d, role);
}

/**
 * The host report from the agent's two answers (pure; both already JSON-parsed). Throws PullError naming
 * the field when an answer does not have the agent's shape. `system` may be null (the endpoint failed).
 */
export function agentReport(devicesJson: unknown, systemJson: unknown | null, options: AgentReportOptions): HostReport {
  const dv = agentDevicesSchema.safeParse(devicesJson);
  if (!dv.success) throw new PullError(`/v1/devices: unexpected answer: ${dv.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  let system: ReportSystem | null = null;
  if (systemJson !== null) {
    const sv = agentSystemSchema.safeParse(systemJson);
    if (!sv.success) throw new PullError(`/v1/system: unexpected answer: ${sv.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    // An agent with a collector disabled leaves its section out: the agent's own rule says what a report can use.
    const figures = reportableSystem(sv.data);
    system = figures ? reportSystem(figures) : null;
  }
  const devices = dv.data.devices.filter((d) => d.mountpoint.startsWith('/'));
  const rank = (d: AgentDevice): number => (d.role === 'other' ? 1 : 0);
  const kept = devices.length > MAX_REPORT_DEVICES ? [...devices].sort((a, b) => rank(a) - rank(b)).slice(0, MAX_REPORT_DEVICES) : devices;
  return {
    v: HOST_REPORT_VERSION,
    host: options.host,
    sampled_at: new Date(Math.floor(options.sampledAtMs)).toISOString(),
    interval_seconds: options.intervalSeconds,
    agent: { version: (options.agentVersion ?? 'vigia-agent-pulled').slice(0, 64) },
    tags: { ...options.tags },
    system,
    devices: kept.map((d) => toDevice(d, options.roles)),
  };
}

/** Options of an agent source. */
export interface AgentSourceOptions {
  readonly target: PullTarget;
  readonly intervalSeconds: number;
  /** Wall clock, ms (default Date.now). */
  readonly now?: Clock;
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PullError(`${what}: answer is not JSON`);
  }
}

/**
 * A pull source for one `vigia agent`: both endpoints are fetched in parallel; a failing /v1/devices
 * fails the collect, a failing /v1/system only empties `system` (devices are what the fleet view needs most).
 */
export function createAgentSource(options: AgentSourceOptions): PullSource {
  const { target } = options;
  const now = options.now ?? systemClock;
  const roles = target.roleRules ? target.roles : null;
  return {
    host: target.host,
    kind: 'agent',
    async collect(signal) {
      const [devices, system] = await Promise.allSettled([
        pullGet(`${target.url}/v1/devices`, target.token, signal, 'application/json'),
        pullGet(`${target.url}/v1/system`, target.token, signal, 'application/json'),
      ]);
      if (devices.status === 'rejected') throw devices.reason;
      if (signal.aborted) throw signal.reason;
      const sampledAtMs = now();
      return agentReport(json(devices.value, '/v1/devices'), system.status === 'fulfilled' ? json(system.value, '/v1/system') : null, {
        host: target.host,
        tags: target.tags,
        intervalSeconds: options.intervalSeconds,
        roles,
        sampledAtMs,
      });
    },
  };
}
