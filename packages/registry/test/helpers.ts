import { randomBytes } from 'node:crypto';
import type { Logger } from '@switchyard/core';

/** A unique namespace per test, so tests sharing one Redis never see each other's keys. */
export function uniqueNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** A logger that records warnings, for asserting that garbage was reported. */
export function recordingLogger(): Logger & { warnings: { fields: Record<string, unknown>; message?: string }[] } {
  const warnings: { fields: Record<string, unknown>; message?: string }[] = [];
  const noop = (): void => {};
  return {
    warnings,
    debug: noop,
    info: noop,
    error: noop,
    warn: (first: Record<string, unknown> | string, message?: string) => {
      warnings.push(typeof first === 'string' ? { fields: {}, message: first } : { fields: first, message });
    },
  };
}

/** Polls `check` every 10 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
