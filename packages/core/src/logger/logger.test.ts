import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetryExhaustedError } from '../errors/retry-exhausted-error.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { consoleLogger } from './logger.js';

afterEach(() => vi.restoreAllMocks());

describe('consoleLogger', () => {
  it('never throws for fields JSON cannot write (a cycle, a BigInt): logging must not break the caller', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    const cyclic: Record<string, unknown> = { id: 'a' };
    cyclic.self = cyclic;
    const logger = consoleLogger({ name: 'svc' });
    // JSON.stringify threw "Converting circular structure to JSON" / "Do not know how to serialize a BigInt".
    expect(() => logger.warn({ request: cyclic, bytes: 12n }, 'odd fields')).not.toThrow();
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] as string);
    expect(entry).toMatchObject({ level: 'warn', name: 'svc', msg: 'odd fields', bytes: '12' });
    expect(entry.request).toMatchObject({ id: 'a' });
  });

  it("writes an error's cause chain, which Switchyard errors keep for logs", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:50051'), { code: 'ECONNREFUSED' });
    const unavailable = new SwitchyardError('UNAVAILABLE', 'catalog unavailable', { cause: refused });
    const exhausted = new RetryExhaustedError([unavailable, unavailable]);
    const looped = new Error('looped');
    looped.cause = looped;
    consoleLogger({ name: 'svc' }).error(
      { err: exhausted, other: looped, text: new Error('x', { cause: 'why' }) },
      'failed',
    );
    const entry = JSON.parse(lines[0] as string);
    // Only "all 2 attempts failed" reached the log: not what failed, nor why.
    expect(entry.err).toMatchObject({
      code: 'RETRY_EXHAUSTED',
      cause: {
        code: 'UNAVAILABLE',
        message: 'catalog unavailable',
        cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.7:50051' },
      },
    });
    expect(entry.text.cause).toBe('why');
    expect(entry.other.message).toBe('looped'); // a cause that loops is cut, not followed for ever
  });

  it('rejects an unknown minimumLevel instead of logging everything, debug included', () => {
    // 'WARN' or 'trace' (from a LOG_LEVEL variable) used to mean "below every level": no filter at all.
    expect(() => consoleLogger({ minimumLevel: 'WARN' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'minimumLevel' }),
    );
  });
});
