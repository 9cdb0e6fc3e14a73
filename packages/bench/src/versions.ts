import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed version of each package, as this benchmark resolves it (`unknown` when it cannot be
 * read), so a report says exactly what was compared.
 */
export function packageVersions(names: readonly string[]): Record<string, string> {
  const require = createRequire(import.meta.url);
  return Object.fromEntries(
    names.map((name) => {
      try {
        return [name, (require(`${name}/package.json`) as { version: string }).version];
      } catch {
        return [name, 'unknown'];
      }
    }),
  );
}

/**
 * The git commit the workspace packages were built from, with `+uncommitted` when the work tree has
 * changes (the benchmark measured those, not the commit alone); `unknown` outside a git checkout.
 */
export function sourceRevision(): string {
  const cwd = dirname(fileURLToPath(import.meta.url));
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const changes = execFileSync('git', ['status', '--porcelain', '--', '.'], {
      cwd: execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' }).trim(),
      encoding: 'utf8',
    });
    return changes.trim() === '' ? commit : `${commit}+uncommitted`;
  } catch {
    return 'unknown';
  }
}
