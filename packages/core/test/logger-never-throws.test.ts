/**
 * consoleLogger never throws at its caller (README "Logging"): a field whose getter throws, at the top
 * level or as an error's own field, threw out of logger.warn() before the fallback that handles it deeper.
 */
import { consoleLogger } from '@switchyard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('consoleLogger (README "Logging": "It never throws at its caller, whatever the fields hold")', () => {
  it('does not throw when a field is a getter that throws (it logs the entry without its fields instead)', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const logger = consoleLogger({ name: 'review' });
    const fields = {
      get broken(): string {
        throw new Error('getter failed');
      },
    };
    // A nested throwing getter is already handled (toJson's fallback); a top-level one went
    // through Object.entries() in serialise() first and threw out of logger.warn().
    expect(() => logger.warn(fields, 'with a broken field')).not.toThrow();
    expect(write).toHaveBeenCalledTimes(1);
    expect(String(write.mock.calls[0]?.[0])).toContain('with a broken field');
  });

  it('does not throw when the error given first (`logger.error(err, msg)`) has an own field whose getter throws', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const logger = consoleLogger({ name: 'review' });
    const error = new Error('boom');
    Object.defineProperty(error, 'detail', {
      enumerable: true,
      get() {
        throw new Error('getter failed');
      },
    });
    expect(() => logger.error(error as unknown as Record<string, unknown>, 'call failed')).not.toThrow();
    expect(() => logger.error({ err: error }, 'call failed')).not.toThrow();
    expect(write).toHaveBeenCalledTimes(2);
  });
});
