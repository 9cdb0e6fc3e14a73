import { InvalidArgumentError } from '@switchyard/core';

/**
 * Reads an environment variable the way the OpenTelemetry specification asks: trimmed, and an
 * empty value counts as unset. Always called inside functions, never at import time.
 */
export function readEnv(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * A comma-separated list variable of the specification (`OTEL_TRACES_EXPORTER`, `OTEL_PROPAGATORS`):
 * its names trimmed, lower-cased and without repeats, in order; `undefined` when unset or naming
 * nothing. `none` stands alone: combined with other names it is INVALID_ARGUMENT naming the variable.
 */
export function readEnvList(name: string): readonly string[] | undefined {
  const raw = readEnv(name);
  if (raw === undefined) return undefined;
  const names = [...new Set(raw.split(',').map((entry) => entry.trim().toLowerCase()))].filter((entry) => entry !== '');
  if (names.length === 0) return undefined;
  if (names.includes('none') && names.length > 1) {
    throw new InvalidArgumentError(name, `'none' cannot be combined with others, got ${JSON.stringify(raw)}`);
  }
  return names;
}

/**
 * The entry of list variable `name` as it is set (case kept) that {@link readEnvList} read as
 * `entry`, for error messages: quoting the lower-cased name, they named a value not in the
 * deployment (`"zipkin"` for `Zipkin`). Falls back to `entry`.
 */
export function rawEnvListEntry(name: string, entry: string): string {
  return (
    readEnv(name)
      ?.split(',')
      .map((part) => part.trim())
      .find((part) => part.toLowerCase() === entry) ?? entry
  );
}

/**
 * `OTEL_SDK_DISABLED=true` (any case): the specification's switch that turns the whole SDK off, for
 * every signal, whatever the other variables say.
 */
export function sdkDisabled(): boolean {
  return readEnv('OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
}

/**
 * Runs `build` (synchronous: an SDK constructor that reads its configuration from `process.env`)
 * with each variable of `values` set to its value (unset for `undefined`), and puts the live ones
 * back after. Node runs JavaScript on one thread, so nothing else sees the swap.
 */
export function withEnv<T>(values: Readonly<Record<string, string | undefined>>, build: () => T): T {
  const live = Object.keys(values).map((name) => [name, process.env[name]] as const);
  const set = (name: string, value: string | undefined): void => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  try {
    for (const [name, value] of Object.entries(values)) set(name, value);
    return build();
  } finally {
    for (const [name, value] of live) set(name, value);
  }
}
