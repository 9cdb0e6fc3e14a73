import { afterEach, describe, expect, it, vi } from 'vitest';
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

  it('rejects an unknown minimumLevel instead of logging everything, debug included', () => {
    // 'WARN' or 'trace' (from a LOG_LEVEL variable) used to mean "below every level": no filter at all.
    expect(() => consoleLogger({ minimumLevel: 'WARN' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'minimumLevel' }),
    );
  });
});
