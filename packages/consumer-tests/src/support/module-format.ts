import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type ModuleFormat = 'esm' | 'cjs';

/** How Node loads `file`: by its extension, and for .js by the "type" of the nearest package.json. */
export function moduleFormatOf(file: string): ModuleFormat {
  if (file.endsWith('.mjs')) return 'esm';
  if (file.endsWith('.cjs')) return 'cjs';
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest))
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module' ? 'esm' : 'cjs';
    if (dirname(dir) === dir) return 'cjs';
  }
}
