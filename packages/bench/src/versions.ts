import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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
        // Packages whose `exports` map leaves out package.json: walk up from the entry point.
        return [name, versionNearEntry(require, name) ?? 'unknown'];
      }
    }),
  );
}

function versionNearEntry(require: NodeJS.Require, name: string): string | undefined {
  try {
    let directory = dirname(require.resolve(name));
    for (;;) {
      const file = join(directory, 'package.json');
      if (existsSync(file)) {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (manifest.name === name) return manifest.version;
      }
      const parent = dirname(directory);
      if (parent === directory) return undefined;
      directory = parent;
    }
  } catch {
    return undefined;
  }
}

/**
 * The git commit the workspace packages were built from, with `+uncommitted` when the work tree has
 * changes (the benchmark measured those, not the commit alone); `unknown` outside a git checkout.
 * Call it when the run starts, right after the build: read at the end of a run of minutes, in a tree
 * where commits land every few minutes, it named whatever HEAD had become by then.
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
