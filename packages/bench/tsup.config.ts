import { defineConfig } from 'tsup';

/**
 * The benchmarks run as compiled JS on plain `node`, against the workspace packages' built `dist`.
 * Never through tsx: its esbuild transform keeps function names (`keepNames`), which wraps every
 * closure creation in a `__name(fn, …)` call (an `Object.defineProperty`) and added ~700 ns per call to
 * the resilience policies. `keepNames: false` is the default; it is spelled out so nobody turns it on.
 * One bundle per entry (no shared chunks), so `import.meta.url` is always the entry's own URL.
 */
export default defineConfig({
  entry: {
    'registry/run': 'src/registry/run.ts',
    'discovery/run': 'src/discovery/run.ts',
    'discovery/pick-worker': 'src/discovery/pick-worker.ts',
    'resilience/run': 'src/resilience/run.ts',
    'grpc/run': 'src/grpc/run.ts',
    'grpc/server': 'src/grpc/server.ts',
    'grpc/worker': 'src/grpc/worker.ts',
    'grpc/otel-preload': 'src/grpc/otel-preload.ts',
    'http/run': 'src/http/run.ts',
    'http/server': 'src/http/server.ts',
    'http/worker': 'src/http/worker.ts',
    'tracing/run': 'src/tracing/run.ts',
  },
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  splitting: false,
  keepNames: false,
  sourcemap: true,
  clean: true,
  dts: false,
});
