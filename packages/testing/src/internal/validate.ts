import { SwitchyardTestingError } from '../testing-error.js';

/** Throws `INVALID_ARGUMENT` unless `value` is an integer in [min, max]. */
export function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `${name} must be an integer from ${min} to ${max} (got ${String(value)})`,
    );
  }
}

/**
 * Throws `INVALID_ARGUMENT` unless `options` is a plain object whose keys are all in `known`: a
 * misspelt or invented option (`startRedis({ port: 6379 })`) used to be ignored without a word,
 * so a test ran against something other than what it asked for.
 */
export function requireKnownOptions(fn: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `${fn}: options must be an object such as { via: 'binary' } (got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options})`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint =
      key === 'port' || key === 'host'
        ? ' (every server takes a free 127.0.0.1 port: read it from the handle, e.g. handle.port or handle.url)'
        : '';
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `${fn}: unknown option ${JSON.stringify(key)}; known options: ${known.join(', ')}${hint}`,
    );
  }
}
