import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
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

  it("writes an error's stack and fields, as pino does: a handler's TypeError was logged with no clue to where it came from", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    const failed = new TypeError("Cannot read properties of undefined (reading 'id')");
    const invalid = new InvalidArgumentError('instance.weight', 'must be an integer from 0 to 10000, got -1');
    const exhausted = new RetryExhaustedError([new Error('first attempt'), new Error('second attempt')]);
    // startService's default logger: `logger.error({ err: error, method }, 'switchyard grpc: handler failed')`.
    consoleLogger({ name: 'svc' }).error({ err: failed, invalid, exhausted }, 'handler failed');
    const entry = JSON.parse(lines[0] as string);
    expect(entry.err).toMatchObject({ type: 'TypeError', message: failed.message });
    expect(entry.err.stack).toContain('logger.test.ts');
    expect(entry.invalid).toMatchObject({ field: 'instance.weight', rule: invalid.rule, retryable: false });
    // Every attempt's failure, not only the last (the cause).
    expect(entry.exhausted.errors).toMatchObject([{ message: 'first attempt' }, { message: 'second attempt' }]);
  });

  it("writes the errors of an AggregateError, which hold all it says (Node's happy-eyeballs connect failure has an empty message)", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    // As net.connect() throws when every address of a name refused: message '', the reasons in `errors`,
    // which is not enumerable, so writing own enumerable fields dropped them.
    const refused = Object.assign(
      new AggregateError([
        Object.assign(new Error('connect ECONNREFUSED ::1:6379'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }),
      ]),
      { code: 'ECONNREFUSED' },
    );
    const unavailable = new SwitchyardError('REGISTRY_UNAVAILABLE', 'registry unavailable', { cause: refused });
    consoleLogger().error({ err: unavailable, alone: refused }, 'failed');
    const entry = JSON.parse(lines[0] as string);
    const reasons = [
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED ::1:6379' },
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:6379' },
    ];
    expect(entry.err.cause).toMatchObject({ type: 'AggregateError', code: 'ECONNREFUSED', errors: reasons });
    expect(entry.alone.errors).toMatchObject(reasons);
    expect(entry.alone.errors[0].stack).toContain('logger.test.ts');
  });

  it("takes an error as the first argument (pino's `logger.error(err, 'msg')`), which wrote neither its message nor its stack", () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    const logger = consoleLogger();
    const failure: unknown = new Error('connect ECONNREFUSED');
    logger.error(failure as Record<string, unknown>, 'registry unreachable');
    logger.warn(failure as Record<string, unknown>);
    const [withMessage, alone] = lines.map((line) => JSON.parse(line));
    expect(withMessage).toMatchObject({ msg: 'registry unreachable', err: { message: 'connect ECONNREFUSED' } });
    expect(withMessage.err.stack).toContain('logger.test.ts');
    expect(alone).toMatchObject({ level: 'warn', msg: 'connect ECONNREFUSED', err: { type: 'Error' } });
  });

  it('rejects an unknown minimumLevel instead of logging everything, debug included', () => {
    // 'WARN' or 'trace' (from a LOG_LEVEL variable) used to mean "below every level": no filter at all.
    expect(() => consoleLogger({ minimumLevel: 'WARN' as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'minimumLevel' }),
    );
  });

  it("refuses options it does not know, pino's `level` among them, instead of logging at info without a word", () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // `consoleLogger({ level: 'debug' })`, as pino spells it, dropped every debug entry: the option was ignored.
    expect(() => consoleLogger({ level: 'debug' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.level' }),
    );
    expect(() => consoleLogger({ minimumLevel: 'debug', nmae: 'svc' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options.nmae' }),
    );
    // null (a config value) was a raw TypeError; a name that is not a string was written as it was.
    expect(() => consoleLogger(null as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'options' }),
    );
    expect(() => consoleLogger({ name: 42 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'name' }),
    );
    // An option given as undefined takes its default, as everywhere.
    consoleLogger({ minimumLevel: undefined, name: undefined }).info('kept');
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('keeps a msg given among the fields, and takes the message of an err field when none is given, as pino does', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      lines.push(String(line));
      return true;
    });
    const logger = consoleLogger();
    logger.info({ msg: 'from the fields', id: 'a' });
    logger.error({ err: new Error('connect ECONNREFUSED') });
    logger.warn({ msg: 'from the fields' }, 'from the argument');
    const [fields, err, both] = lines.map((line) => JSON.parse(line));
    // The msg field was overwritten with undefined: the entry said nothing.
    expect(fields).toMatchObject({ msg: 'from the fields', id: 'a' });
    expect(err).toMatchObject({ msg: 'connect ECONNREFUSED', err: { message: 'connect ECONNREFUSED' } });
    expect(both.msg).toBe('from the argument');
  });
});
