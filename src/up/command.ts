/** `vigia up`: the control plane, its console, the log collector and this host's agent in one command (optionally with a living demo). */
import { Command, Option } from 'commander';
import { optionNames } from '../core/config.js';
import { DEFAULT_DEMO_HOSTS, DEFAULT_UP_AGENT_PORT, DEFAULT_UP_DATA_DIR, DEFAULT_UP_LOGS_PORT, DEFAULT_UP_PORT, parseUpConfig } from './config.js';

/** Attach `vigia up` to the program. */
export function register(program: Command): void {
  program
    .command('up')
    .description('start the platform on this machine: control plane + web console, log collector, this host\'s agent; prints the console\'s sign-in link')
    .addOption(new Option('--data-dir <dir>', 'every store, token and key lives here (created 0700); a second run resumes it').default(DEFAULT_UP_DATA_DIR).env('VIGIA_UP_DATA_DIR'))
    .addOption(new Option('--port <n>', 'control plane and console port on 127.0.0.1').default(String(DEFAULT_UP_PORT)).env('VIGIA_UP_PORT'))
    .addOption(new Option('--agent-port <n>', 'this host\'s agent API port on 127.0.0.1').default(String(DEFAULT_UP_AGENT_PORT)))
    .addOption(new Option('--logs-port <n>', 'log collector port on 127.0.0.1').default(String(DEFAULT_UP_LOGS_PORT)))
    .addOption(new Option('--demo', 'also run a living demo: a simulated fleet with a week of history, a rollout, fleet runs, the SLO demo year, log traffic'))
    .addOption(new Option('--demo-hosts <n>', 'hosts of the demo\'s simulated fleet (1-10000)').default(String(DEFAULT_DEMO_HOSTS)))
    .addOption(new Option('--log-level <level>', 'the parts\' log level (their output: <data-dir>/up/log/)').default('info').env('VIGIA_LOG_LEVEL'))
    .addOption(new Option('--shutdown-timeout <ms>', 'each part gets this long to stop before it is killed').default('20000'))
    .addOption(new Option('--start-timeout <ms>', 'each part must be up within this').default('120000'))
    .addHelpText(
      'after',
      `
Everything listens on 127.0.0.1 only. Ctrl-C (or SIGTERM) stops the parts in reverse order, each
within --shutdown-timeout; a second Ctrl-C kills them at once. A part that stops by itself stops
the rest, and its last output is shown (all of it in <data-dir>/up/log/<part>.log).

The operator token (scopes read, admin, run) is in <data-dir>/up/operator.token: use it with the
other commands, e.g.
  vigia server hosts --server http://127.0.0.1:8080 --token-file data/up/operator.token
  vigia rollout status --server http://127.0.0.1:8080 --token-file data/up/operator.token
  vigia server login-link --server http://127.0.0.1:8080 --token-file data/up/operator.token

See docs/up.md.`,
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const config = parseUpConfig({
        dataDir: String(opts.dataDir),
        port: String(opts.port),
        agentPort: String(opts.agentPort),
        logsPort: String(opts.logsPort),
        demo: opts.demo === true,
        demoHosts: String(opts.demoHosts),
        logLevel: opts.logLevel,
        shutdownTimeoutMs: String(opts.shutdownTimeout),
        startTimeoutMs: String(opts.startTimeout),
      }, optionNames(cmd, { shutdownTimeoutMs: 'shutdownTimeout', startTimeoutMs: 'startTimeout' }));
      const { runUp } = await import('./run-up.js');
      await runUp(config, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    });
}
