import type { BalancingStrategy, Endpoint, Logger, Picker } from '@switchyard/core';
import { roundRobin } from './round-robin.js';

/** At most one log line per this long about a balancer that keeps failing (one per rebuild otherwise). */
const LOG_EVERY_MS = 30_000;

const fallback = roundRobin();

/**
 * Builds pickers with the discovery's balancer, and with round-robin when that one fails: a custom
 * `createPicker` that throws, or returns no picker. Discovery builds pickers from registry updates
 * and timers, where a throw was uncaught (the process died) or left an update half applied (the
 * new view in `instances()`, the old pickers in `pick()`). Logged at error, at most every 30 s.
 */
export class PickerFactory {
  private lastLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly strategy: BalancingStrategy,
    private readonly logger: Logger,
    private readonly service: string,
  ) {}

  create(endpoints: readonly Endpoint[]): Picker {
    let picker: Picker | undefined;
    let error: unknown;
    try {
      picker = this.strategy.createPicker(endpoints);
    } catch (thrown) {
      error = thrown;
    }
    if (typeof picker?.pick === 'function') return picker;
    const now = Date.now();
    if (now - this.lastLoggedAt >= LOG_EVERY_MS) {
      this.lastLoggedAt = now;
      this.logger.error(
        {
          err: error ?? new Error(`createPicker returned ${picker === null ? 'null' : typeof picker}, not a Picker`),
          service: this.service,
          balancer: this.strategy.name,
        },
        "switchyard discovery: the balancer's createPicker failed; its instances are picked round-robin until it builds a picker",
      );
    }
    return fallback.createPicker(endpoints);
  }
}
