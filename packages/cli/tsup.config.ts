import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
const shared = {
  dts: { compilerOptions: { composite: false } },
  sourcemap: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  define: { __SWITCHYARD_VERSION__: JSON.stringify(version) },
} as const;

export default defineConfig([
  // The library entry (runCli, startDashboard) for ESM and CJS consumers.
  { ...shared, entry: ['src/index.ts'], format: ['esm', 'cjs'], clean: true },
  // The executable: ESM only (top-level await), shebang kept, no types needed.
  { ...shared, entry: ['src/bin.ts'], format: ['esm'], dts: false },
]);
