/**
 * Process lifecycle: resources register how to release themselves on a LIFO stack; SIGINT/SIGTERM
 * (or a call to shutdown()) releases them in reverse order, with a hard deadline after which the
 * process exits anyway so a stuck close never keeps a broken instance alive.
 */
import type { Logger } from './log.js';

type Release = () => Promise<void> | void;

/** A LIFO stack of release functions, run once, in reverse order of registration. */
export class Lifecycle {
  private readonly stack: { name: string; release: Release }[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly log?: Logger) {}

  /** Register `release` to run at shutdown, before everything registered earlier. */
  defer(name: string, release: Release): void {
    this.stack.push({ name, release });
  }

  /** True once shutdown started. */
  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  /** Release everything in reverse order; later calls return the same promise. Errors are logged, not thrown. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      while (this.stack.length > 0) {
        const { name, release } = this.stack.pop()!;
        try {
          await release();
        } catch (err) {
          this.log?.error({ err, resource: name }, 'release failed');
        }
      }
    })();
    return this.closing;
  }

  /**
   * On SIGINT/SIGTERM run shutdown(), then call `exit(code)`; if releasing takes longer than
   * `deadlineMs`, call `exit(1)` anyway. A second signal exits at once, unless `secondSignalExits` is
   * false (cluster workers: the terminal's SIGINT and the primary's SIGTERM arrive together).
   */
  handleSignals(exit: (code: number) => void, deadlineMs = 10_000, secondSignalExits = true): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.isClosing) {
        if (secondSignalExits) exit(1);
        return;
      }
      this.log?.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        this.log?.error({ deadlineMs }, 'shutdown deadline passed, exiting');
        exit(1);
      }, deadlineMs);
      timer.unref();
      void this.shutdown().then(() => exit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}
