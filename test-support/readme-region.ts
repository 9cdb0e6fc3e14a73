import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * Asserts that a README shows, verbatim in a ```ts block, the region `name` of a test file that
 * runs it (the lines between `// #region name` and `// #endregion name`), so the example a reader
 * copies is the one CI runs. A region inside a function body is shown without its indentation.
 * Shared by the packages whose README examples are tested that way.
 */
export function expectReadmeShowsRegion(readme: URL, source: URL, name = 'quick-start'): void {
  const code = readFileSync(source, 'utf8');
  const marker = new RegExp(`^ *// #region ${name}\\n`, 'm').exec(code);
  const end = code.indexOf(`// #endregion ${name}`);
  expect(marker, `${source.pathname} has no // #region ${name}`).not.toBeNull();
  const start = (marker?.index ?? 0) + (marker?.[0].length ?? 0);
  expect(end, `${source.pathname} has no // #endregion ${name}`).toBeGreaterThan(start);
  const lines = code.slice(start, end).trimEnd().split('\n');
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  const region = lines.map((line) => line.slice(indent)).join('\n');
  expect(readFileSync(readme, 'utf8')).toContain(`\`\`\`ts\n${region}\n\`\`\``);
}
