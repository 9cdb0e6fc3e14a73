import { runCommandOrThrow } from './run-command.js';
import { repoRoot } from './workspace.js';

/**
 * Builds the packages (and what they depend on) with turbo, so the tarballs hold the current
 * source even in a fresh clone where nobody ran `pnpm build`. Turbo's cache makes this a few
 * seconds when nothing changed (in CI, `pnpm typecheck` has already built everything); cold, about
 * a minute on two cores.
 */
export async function buildPackages(names: readonly string[]): Promise<void> {
  await runCommandOrThrow(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only', ...names.map((name) => `--filter=${name}`)],
    { cwd: repoRoot, timeoutMs: 600_000 },
  );
}
