/**
 * Reads an environment variable the way the OpenTelemetry specification asks: trimmed, and an
 * empty value counts as unset. Always called inside functions, never at import time.
 */
export function readEnv(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
