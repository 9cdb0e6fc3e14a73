import type { Logger } from '@switchyard/core';

const MAX_REMEMBERED = 1_000;

/**
 * Logs a warning the first time a given problem is seen (e.g. one corrupt entry), not on every
 * read: a reader that lists every second must not flood the logs about the same bad key.
 */
export class WarnOnce {
  private readonly seen = new Set<string>();
  constructor(private readonly logger: Logger) {}

  /** Whether the problem `key` names was told already. */
  has(key: string): boolean {
    return this.seen.has(key);
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.seen.has(key)) return;
    if (this.seen.size >= MAX_REMEMBERED) this.seen.clear();
    this.seen.add(key);
    this.logger.warn(fields, message);
  }
}
