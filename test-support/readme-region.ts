import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * Asserts that a README shows, verbatim in a ```ts block, the region `name` of a test file that
 * runs it (the lines between `// #region name` and `// #endregion name`), so the example a reader
 * copies is the one CI runs. Shared by the packages whose quick start is tested that way.
 */
export function expectReadmeShowsRegion(readme: URL, source: URL, name = 'quick-start'): void {
  const code = readFileSync(source, 'utf8');
  const start = code.indexOf(`// #region ${name}\n`);
  const end = code.indexOf(`// #endregion ${name}`);
  expect(start, `${source.pathname} has no // #region ${name}`).toBeGreaterThanOrEqual(0);
  expect(end, `${source.pathname} has no // #endregion ${name}`).toBeGreaterThan(start);
  const region = code.slice(start + `// #region ${name}\n`.length, end).trimEnd();
  expect(readFileSync(readme, 'utf8')).toContain(`\`\`\`ts\n${region}\n\`\`\``);
}
