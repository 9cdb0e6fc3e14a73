import type { Logger } from '@switchyard/core';

/** How often a failure that keeps being retried is warned about again. */
export const REPEAT_WARNING_MS = 60_000;

/**
 * Logs a failure that is retried every second or so (a watch that cannot start while the registry
 * is down) without flooding the logs: the first failure at warn, the repeats at debug, a warn
 * again every {@link REPEAT_WARNING_MS} saying how many tries over how long, and one info line
 * when it finally succeeds. A Redis outage at start-up used to log one warning a second per
 * discovery for as long as it lasted.
 */
export class RetriedFailureLog {
  private failures = 0;
  private firstFailureAt = 0;
  private lastWarningAt = 0;

  constructor(
    private readonly logger: Logger,
    // Read at each call, not taken once: a test suite's fake clock replaces Date.now, and the one
    // taken at construction stayed the clock of a fake long uninstalled.
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** One more failed try; `fields` go with the entry (the error under `err`). */
  failed(fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    this.failures++;
    if (this.failures === 1) {
      this.firstFailureAt = now;
      this.lastWarningAt = now;
      this.logger.warn(fields, message);
      return;
    }
    const summary = { ...fields, failures: this.failures, sinceMs: now - this.firstFailureAt };
    if (now - this.lastWarningAt >= REPEAT_WARNING_MS) {
      this.lastWarningAt = now;
      this.logger.warn(summary, `${message} (still failing: ${this.failures} tries)`);
    } else {
      this.logger.debug(summary, message);
    }
  }

  /** The try succeeded: says so once if it had failed before, and starts counting afresh. */
  succeeded(fields: Record<string, unknown>, message: string): void {
    if (this.failures === 0) return;
    this.logger.info({ ...fields, failures: this.failures, sinceMs: this.now() - this.firstFailureAt }, message);
    this.failures = 0;
  }
}
