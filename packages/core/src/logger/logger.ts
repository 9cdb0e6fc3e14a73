import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

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
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
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
 */
export function consoleLogger(options: { minimumLevel?: Level; name?: string } = {}): Logger {
  const threshold = LEVELS.indexOf(options.minimumLevel ?? 'info');
  const make =
    (level: Level): LogFn =>
    (first: Record<string, unknown> | string, message?: string) => {
      if (LEVELS.indexOf(level) < threshold) return;
      const fields = typeof first === 'string' ? { msg: first } : { ...serialise(first), msg: message };
      process.stderr.write(`${JSON.stringify({ level, time: Date.now(), name: options.name, ...fields })}\n`);
    };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}

function serialise(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { type: value.name, message: value.message, code: (value as { code?: unknown }).code }
        : value;
  }
  return out;
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
