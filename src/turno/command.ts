/** `vigia turno`: serve the counter service (default action) and `vigia turno check` (history checker). */
import { Command, Option } from 'commander';
import { tracingFromEnv } from '../core/tracing.js';
import { registerCheck } from './check/check-command.js';
import { optionNames } from '../core/config.js';
import { DEFAULT_LISTEN, DEFAULT_STORE, TURNO_OPTION_RENAMES, parseTurnoConfig } from './config.js';

/** Attach `vigia turno` and its subcommands to the program. */
export function register(program: Command): void {
  const turno = program
    .command('turno')
    .description('take-a-number counter service: GET /turno/:id returns the next number for that id')
    .addOption(new Option('--listen <host:port>', 'address to listen on').default(DEFAULT_LISTEN).env('VIGIA_TURNO_LISTEN'))
    .addOption(
      new Option('--store <url>', 'counter store: memory | file:PATH | redis://host:port[?replicas=N] | redis-shards://h:p,h:p | redis-cluster://h:p,h:p')
        .default(DEFAULT_STORE)
        .env('VIGIA_TURNO_STORE'),
    )
    .addOption(new Option('--workers <n>', 'worker processes (Node cluster); >1 needs a redis store').default('1').env('VIGIA_TURNO_WORKERS'))
    .addOption(new Option('--auth-token-file <path>', 'file of sha256:<hex> token hashes (see "vigia token new"); required off loopback').env('VIGIA_TURNO_AUTH_TOKEN_FILE'))
    .addOption(new Option('--insecure-no-auth', 'allow serving without authentication on a non-loopback address').default(false))
    .addOption(new Option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent').default('info').env('VIGIA_LOG_LEVEL'))
    .addOption(new Option('--shutdown-timeout <ms>', 'hard deadline for draining on SIGTERM').default('10000'))
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const config = parseTurnoConfig({
        listen: String(opts.listen),
        store: String(opts.store),
        workers: String(opts.workers),
        authTokenFile: opts.authTokenFile as string | undefined,
        insecureNoAuth: Boolean(opts.insecureNoAuth),
        logLevel: opts.logLevel,
        shutdownTimeoutMs: String(opts.shutdownTimeout),
        tracing: tracingFromEnv(process.env, 'vigia-turno'),
      }, optionNames(cmd, TURNO_OPTION_RENAMES));
      const { runTurno } = await import('./run.js');
      await runTurno(config);
    });
  turno.addHelpText(
    'after',
    `
Examples:
  vigia turno                                   # embedded durable store at ${DEFAULT_STORE}
  curl http://127.0.0.1:7017/turno/queue-1      # {"id":"queue-1","turno":1}
  vigia turno --store redis://127.0.0.1:6379 --workers 2 --listen 0.0.0.0:7017 --auth-token-file tokens
  vigia turno check --url http://127.0.0.1:7017 --ids 10 --clients 50 --requests 20000

Tracing: set OTEL_EXPORTER_OTLP_ENDPOINT (and OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
OTEL_TRACES_SAMPLER=traceidratio + OTEL_TRACES_SAMPLER_ARG) to send a span per request over OTLP/HTTP.`,
  );
  registerCheck(turno);
}
