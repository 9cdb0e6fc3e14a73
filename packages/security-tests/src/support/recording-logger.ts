import type { Logger } from '@switchyard/core';

/** One captured log call, with everything it carried rendered as text. */
export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string | undefined;
  readonly fields: Record<string, unknown>;
  /** The message and the fields rendered the way a pino-style serializer would (see {@link deepText}). */
  readonly text: string;
}

/** A {@link Logger} that keeps every call, at every level (debug included). */
export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
  /** Every record's text, one per line. */
  text(): string;
  /** Records at `level` whose message matches `pattern`. */
  find(level: LogRecord['level'], pattern: RegExp): LogRecord[];
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  const make =
    (level: LogRecord['level']) =>
    (first: Record<string, unknown> | string, message?: string): void => {
      const fields = typeof first === 'string' ? {} : first;
      const msg = typeof first === 'string' ? first : message;
      records.push({ level, message: msg, fields, text: `${level} ${msg ?? ''} ${deepText(fields)}` });
    };
  return {
    records,
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    text: () => records.map((record) => record.text).join('\n'),
    find: (level, pattern) =>
      records.filter((record) => record.level === level && pattern.test(`${record.message ?? ''}`)),
  };
}

/**
 * Renders a value the way a thorough log serializer would: errors with name, message, stack, every
 * own property (enumerable or not, e.g. ioredis' `command`) and their `cause` chain; buffers both as
 * UTF-8 and base64; the contents of Maps and Sets; what `toJSON()` returns (as JSON.stringify, pino
 * and the SDK's default logger write it: a `URL` object is its `href`, password included, although
 * its own keys are none); objects and arrays recursively. Secrets must not be found anywhere in it.
 */
export function deepText(value: unknown): string {
  const seen = new WeakSet<object>();
  const parts: string[] = [];
  const walk = (current: unknown, depth: number): void => {
    if (depth > 12) return;
    if (current === null || current === undefined) return;
    if (typeof current === 'string') {
      parts.push(current);
      return;
    }
    if (typeof current !== 'object' && typeof current !== 'function') {
      parts.push(String(current));
      return;
    }
    if (typeof current === 'function') return;
    if (seen.has(current)) return;
    seen.add(current);
    if (Buffer.isBuffer(current) || current instanceof Uint8Array) {
      const buffer = Buffer.from(current as Uint8Array);
      parts.push(buffer.toString('utf8'), buffer.toString('base64'));
      return;
    }
    if (current instanceof Error) {
      parts.push(current.name, current.message, current.stack ?? '');
      for (const key of Object.getOwnPropertyNames(current)) {
        if (key === 'stack' || key === 'message') continue;
        parts.push(key);
        walk((current as unknown as Record<string, unknown>)[key], depth + 1);
      }
      return;
    }
    if (current instanceof Map) {
      for (const [key, item] of current) {
        walk(key, depth + 1);
        walk(item, depth + 1);
      }
      return;
    }
    if (current instanceof Set) {
      for (const item of current) walk(item, depth + 1);
      return;
    }
    // What JSON.stringify writes instead of the object's keys (a URL, a Date, a class with
    // toJSON): without it, a URL holding a password showed nothing here but its field name.
    try {
      const toJSON = (current as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') walk(toJSON.call(current), depth + 1);
    } catch {
      // A toJSON (or its getter) that throws: JSON.stringify would throw too; the keys are walked below.
    }
    for (const key of Object.keys(current)) {
      parts.push(key);
      walk((current as Record<string, unknown>)[key], depth + 1);
    }
  };
  walk(value, 0);
  return parts.join(' ');
}
