import type { Logger } from '@switchyard/core';
import { describe, expect, it, vi } from 'vitest';
import { REPEAT_WARNING_MS, RetriedFailureLog } from './retried-failure-log.js';

function recordingLogger(): { logger: Logger; entries: [string, Record<string, unknown>, string][] } {
  const entries: [string, Record<string, unknown>, string][] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown> | string, message?: string): void => {
      entries.push([level, typeof fields === 'string' ? {} : fields, message ?? String(fields)]);
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

describe('RetriedFailureLog', () => {
  it('warns on the first failure, logs repeats at debug, and warns again once a minute with the count', () => {
    const { logger, entries } = recordingLogger();
    let now = 1_000;
    const log = new RetriedFailureLog(logger, () => now);
    for (let second = 0; second <= 125; second++) {
      log.failed({ service: 'catalog' }, 'cannot watch');
      now += 1_000;
    }
    const warnings = entries.filter(([level]) => level === 'warn');
    expect(warnings.map(([, fields]) => fields.failures)).toEqual([undefined, 61, 121]);
    expect(warnings[1]?.[2]).toBe('cannot watch (still failing: 61 tries)');
    expect(warnings[1]?.[1]).toMatchObject({ service: 'catalog', sinceMs: REPEAT_WARNING_MS });
    expect(entries.filter(([level]) => level === 'debug')).toHaveLength(126 - 3);
  });

  it('reads the clock in force at each failure, not the one at its construction', () => {
    const { logger, entries } = recordingLogger();
    vi.useFakeTimers();
    try {
      const log = new RetriedFailureLog(logger);
      vi.useRealTimers();
      vi.useFakeTimers();
      log.failed({}, 'cannot watch');
      vi.advanceTimersByTime(REPEAT_WARNING_MS + 1_000);
      log.failed({}, 'cannot watch');
    } finally {
      vi.useRealTimers();
    }
    expect(entries.filter(([level]) => level === 'warn')).toHaveLength(2);
  });

  it('says once that it recovered, then starts afresh', () => {
    const { logger, entries } = recordingLogger();
    let now = 0;
    const log = new RetriedFailureLog(logger, () => now);
    log.succeeded({ service: 'catalog' }, 'watching again');
    expect(entries).toEqual([]);
    log.failed({}, 'cannot watch');
    now = 3_000;
    log.failed({}, 'cannot watch');
    log.succeeded({ service: 'catalog' }, 'watching again');
    expect(entries.at(-1)).toEqual(['info', { service: 'catalog', failures: 2, sinceMs: 3_000 }, 'watching again']);
    log.succeeded({ service: 'catalog' }, 'watching again');
    log.failed({}, 'cannot watch');
    expect(entries.map(([level]) => level)).toEqual(['warn', 'debug', 'info', 'warn']);
  });
});
