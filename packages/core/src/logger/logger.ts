import { errorRecord } from '../errors/error-json.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { assertKnownKeys, assertObject, assertOneOf, describeValue } from '../validation/assert.js';

/**
 * The logging interface Switchyard writes to. Its shape is pino's (`logger.warn({ obj }, 'msg')`),
 * so a pino logger can be passed as it is; the default is {@link silentLogger}: a library must not
 * print unless asked to.
 */
export interface LogFn {
  (object: Record<string, unknown>, message?: string): void;
  (message: string): void;
}

/** A pino-compatible logger. */
export interface Logger {
  /** Detail for debugging. */
  debug: LogFn;
  /** Milestones (a watch started again, a server listening). */
  info: LogFn;
  /** Trouble that was worked around (a registry outage, an ignored entry). */
  warn: LogFn;
  /** A failure someone may need to act on (a failed heartbeat, a listener that threw). */
  error: LogFn;
}

const noop = (): void => {};

/** A logger that drops everything. The default everywhere. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

/**
 * A minimal logger writing one JSON line per entry to stderr (pino's line format, roughly), for
 * examples and tools that do not bring their own.
 * @param minimumLevel entries below this level are dropped. @default 'info'
 * @throws InvalidArgumentError for a level other than debug, info, warn or error, a name that is
 * not a string, or an option other than these two.
 */
export function consoleLogger(options: { minimumLevel?: Level; name?: string } = {}): Logger {
  // pino's `{ level: 'debug' }` (or a misspelt option) was ignored: every debug entry dropped
  // without a word. And null was a raw TypeError.
  assertObject('options', options);
  assertKnownKeys('options', options, ['minimumLevel', 'name']);
  // An unknown level (indexOf -1) used to filter nothing: debug included.
  if (options.minimumLevel !== undefined) assertOneOf('minimumLevel', options.minimumLevel, LEVELS);
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new InvalidArgumentError('name', `must be a string, got ${describeValue(options.name)}`);
  }
  const threshold = LEVELS.indexOf(options.minimumLevel ?? 'info');
  const make =
    (level: Level): LogFn =>
    (first: Record<string, unknown> | string, message?: string) => {
      if (LEVELS.indexOf(level) < threshold) return;
      let fields: Record<string, unknown>;
      try {
        fields =
          typeof first === 'string'
            ? { msg: first }
            : // pino's `logger.error(err, 'msg')`: the error goes under `err` (its own fields were all
              // that was written: for a plain Error, nothing), and its message is the default msg.
              first instanceof Error
              ? { err: serialiseError(first), msg: message ?? first.message }
              : { ...serialise(first ?? {}), msg: message ?? defaultMessage(first) };
      } catch (error) {
        // A field's getter that throws (read here, before toJson's own fallback): the entry
        // without its fields, as toJson writes one it cannot serialise.
        fields = { msg: message ?? (first instanceof Error ? first.message : undefined), logError: String(error) };
      }
      process.stderr.write(`${toJson({ level, time: Date.now(), name: options.name, ...fields })}\n`);
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

/**
 * One JSON line. A logger must never throw at its caller: a field JSON cannot write (a cycle, a
 * BigInt) used to throw from `logger.warn()`, e.g. inside a catch block. Only then is the slower
 * replacer used.
 */
function toJson(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry);
  } catch {
    const ancestors: object[] = [];
    try {
      return JSON.stringify(entry, function (this: unknown, _key, value: unknown) {
        if (typeof value === 'bigint') return value.toString();
        if (typeof value !== 'object' || value === null) return value;
        // `this` is the object holding `value`: drop the ancestors of finished siblings.
        while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
        if (ancestors.includes(value)) return '[Circular]';
        ancestors.push(value);
        return value;
      });
    } catch (error) {
      // A getter or toJSON() that throws: the entry without its fields.
      const { level, time, name, msg } = entry;
      return JSON.stringify({ level, time, name, msg, logError: String(error) });
    }
  }
}

/**
 * The msg of an entry logged without a message, as pino writes it: the fields' own `msg` (it was
 * overwritten with undefined, and the entry said nothing), else the message of an `err` field.
 */
function defaultMessage(fields: Record<string, unknown> | null | undefined): unknown {
  if (fields?.msg !== undefined) return fields.msg;
  return fields?.err instanceof Error ? fields.err.message : undefined;
}

function serialise(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? serialiseError(value) : value;
  }
  return out;
}

/**
 * An error as a log field, as pino's error serializer writes it: `type`, `message`, `stack`, its own
 * fields (`code`, `field`, the `errors[]` of RetryExhaustedError…) and its `cause` chain (the cause is
 * what SwitchyardErrorOptions keeps "for logs"), a loop in it cut. Without the stack, a handler's
 * TypeError logged by startService's default logger said what failed but not where.
 */
function serialiseError(error: Error): Record<string, unknown> {
  return errorRecord(error);
}

/** Asserts a pino-compatible logger (debug, info, warn and error functions). */
export function assertLogger(field: string, logger: unknown): asserts logger is Logger {
  const candidate = logger as Partial<Record<keyof Logger, unknown>> | null;
  const missing = (['debug', 'info', 'warn', 'error'] as const).filter(
    (level) => typeof candidate?.[level] !== 'function',
  );
  if (missing.length > 0)
    throw new InvalidArgumentError(
      field,
      `must be a logger with debug, info, warn and error functions (missing ${missing.join(', ')})`,
    );
}
