/** The control plane's migrations, in order. Append only: a shipped migration never changes. */
import type { Migration } from '../../../core/db/migrate.js';
import { MIGRATION_0001_INITIAL } from './0001-initial.js';
import { MIGRATION_0002_FLEET_CHANGES } from './0002-fleet-changes.js';
import { MIGRATION_0003_CONTROL_LEADER } from './0003-control-leader.js';
import { MIGRATION_0004_VOLUME_TREND } from './0004-volume-trend.js';
import { MIGRATION_0005_ROLLOUT_SCOPE } from './0005-rollout-scope.js';
import { MIGRATION_0006_CONSOLE_SESSIONS } from './0006-console-sessions.js';
import { MIGRATION_0007_LATEST_PROCESSES } from './0007-latest-processes.js';

/** Every control-plane migration, version 1..n. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: MIGRATION_0001_INITIAL },
  { version: 2, name: 'fleet-changes', sql: MIGRATION_0002_FLEET_CHANGES },
  { version: 3, name: 'control-leader', sql: MIGRATION_0003_CONTROL_LEADER },
  { version: 4, name: 'volume-trend', sql: MIGRATION_0004_VOLUME_TREND },
  { version: 5, name: 'rollout-scope', sql: MIGRATION_0005_ROLLOUT_SCOPE },
  { version: 6, name: 'console-sessions', sql: MIGRATION_0006_CONSOLE_SESSIONS },
  { version: 7, name: 'latest-processes', sql: MIGRATION_0007_LATEST_PROCESSES },
];
