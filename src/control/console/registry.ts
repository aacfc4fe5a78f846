/**
 * Every unit of the console, listed explicitly (no registration by import side effect). To add a
 * page, a POST action or an SSE stream: write one file exporting a ConsolePage, ConsoleAction or
 * ConsoleStream (page.ts) and add it to the array here; mount.ts wraps it with the session, scope,
 * CSRF and header rules. A page's `nav` names its entry in layout.ts NAV.
 */
import type { ConsoleAction, ConsolePage, ConsoleStream } from './page.js';
import { auditPage } from './pages/audit.js';
import { capacityChartPage, capacityPage } from './pages/capacity.js';
import { hostDetailPage } from './pages/host-detail.js';
import { hostsPage } from './pages/hosts.js';
import { logsPage } from './pages/logs.js';
import { overviewPage } from './pages/overview.js';
import { performancePage } from './pages/performance.js';
import { rolloutConfirmPage, rolloutsPage } from './pages/rollouts.js';
import { rolloutActions } from './pages/rollouts-actions.js';
import { rolloutsStream } from './pages/rollouts-stream.js';
import { runPage, runsPage } from './pages/runs.js';
import { runPreviewAction, runStartAction } from './pages/runs-actions.js';
import { runStream } from './pages/runs-stream.js';
import { sloPage } from './pages/slo.js';

/** GET pages, first match wins. */
export const PAGES: readonly ConsolePage[] = [
  overviewPage, hostsPage, hostDetailPage, capacityPage, capacityChartPage, performancePage,
  rolloutsPage, rolloutConfirmPage, runsPage, runPage, sloPage, logsPage, auditPage,
];

/** POST actions (state changes). */
export const ACTIONS: readonly ConsoleAction[] = [...rolloutActions, runPreviewAction, runStartAction];

/** Server-sent-event streams. */
export const STREAMS: readonly ConsoleStream[] = [rolloutsStream, runStream];
