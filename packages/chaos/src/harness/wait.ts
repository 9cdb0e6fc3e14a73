/** Bounded polling: resolves with the time (Date.now()) the condition first held, or throws after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<number> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      if (await condition()) return Date.now();
    } catch {
      // not yet (e.g. the registry is still unreachable)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
