import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the system temp dir, removed with everything in it by `remove()`. */
export interface TempSpace {
  root: string;
  remove(): Promise<void>;
}

export async function createTempSpace(prefix: string): Promise<TempSpace> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
