/** `BENCH_QUICK=1` (or `true`): the smoke-sized run. */
export function isQuick(environment: NodeJS.ProcessEnv): boolean {
  return environment.BENCH_QUICK === '1' || environment.BENCH_QUICK === 'true';
}

/** A comma-separated list from an environment variable (`BENCH_ONLY=a,b`), empty when unset. */
export function listFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
