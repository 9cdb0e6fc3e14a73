/**
 * The environment for commands the tests start: this process's, without what vitest set for its
 * own workers (VITEST, VITEST_WORKER_ID, TEST…), which would make a nested vitest run or a probe
 * think it runs inside this one.
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|VITE_|__VITEST)/.test(key) || key === 'TEST' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return env;
}
