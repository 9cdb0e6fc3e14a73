import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readlink, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Where Node would find package `name` from `fromDir` (each node_modules up the tree), as a real
 * path; undefined if nowhere. From a workspace package's folder this is the copy pnpm installed
 * for that package, so a consumer gets the very versions the workspace tests ran against.
 */
export function locateInstalledPackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Links `linkPath` to the installed package at `target`. Linking the same place again is a no-op;
 * a link to another copy is an error (two packages wanting different copies of a peer).
 */
export async function linkInstalledPackage(target: string, linkPath: string, why: string): Promise<void> {
  if (existsSync(linkPath)) {
    const current = realpathSync(linkPath);
    if (current === target) return;
    throw new Error(`${linkPath} already links ${current} (${await readlink(linkPath)}); ${why} needs ${target}`);
  }
  await mkdir(dirname(linkPath), { recursive: true });
  await symlink(target, linkPath, 'dir');
}
