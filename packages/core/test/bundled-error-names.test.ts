/**
 * The error classes as published: bundled by tsup (esbuild), as `pnpm build` makes dist/. The other
 * tests run the TypeScript sources, which esbuild's bundler does not rewrite: there, a class that
 * names itself in its own body became `var SwitchyardError = class _SwitchyardError`, so every
 * SwitchyardError made directly (gRPC's listen() failures, a handler's wrapped error…) was named
 * `_SwitchyardError` in its `name`, its stack's first line and the logs' `type`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'switchyard-core-bundle-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('error names in the bundled package', () => {
  it('are the class names, as in the sources', { timeout: 30_000 }, async () => {
    // The options of tsup.library.ts that shape the JavaScript (no types, one format).
    await build({
      entry: { index: join(packageDir, 'src/index.ts') },
      format: ['esm'],
      outDir,
      target: 'node20',
      tsconfig: join(packageDir, 'tsconfig.build.json'),
      define: { __SWITCHYARD_VERSION__: '"0.0.0"' },
      dts: false,
      config: false,
      silent: true,
    });
    const core = (await import(pathToFileURL(join(outDir, 'index.js')).href)) as typeof import('@switchyard/core');
    const made = new core.SwitchyardError('UNAVAILABLE', 'listen(): cannot listen on 0.0.0.0:50051');
    expect(made.name).toBe('SwitchyardError');
    expect(made.stack).toMatch(/^SwitchyardError: listen\(\)/);
    expect(core.SwitchyardError.name).toBe('SwitchyardError');
    expect(new core.InvalidArgumentError('f', 'r').name).toBe('InvalidArgumentError');
    expect(new core.DeadlineExceededError().name).toBe('DeadlineExceededError');
    // Still one brand across copies: the bundle's errors and the sources' recognise each other.
    expect(core.SwitchyardError.hasCode(made, 'UNAVAILABLE')).toBe(true);
  });
});
