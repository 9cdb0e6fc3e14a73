import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the .proto files are: `SHOPPING_GUIDE_PROTOS` if set, else the repository's `protos/`
 * (the images copy it to the same relative place).
 */
export function protosDir(): string {
  const fromEnv = process.env.SHOPPING_GUIDE_PROTOS;
  if (fromEnv) return fromEnv;
  const dir = fileURLToPath(new URL('../../../../protos', import.meta.url));
  if (!existsSync(dir)) throw new Error(`protos not found at ${dir}; set SHOPPING_GUIDE_PROTOS`);
  return dir;
}
