import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it('README quick start is the tested quick-start.int.test.ts region, verbatim', () => {
  const source = readFileSync(new URL('./quick-start.int.test.ts', import.meta.url), 'utf8');
  const region = source.split('// #region quick-start\n')[1]?.split('// #endregion quick-start')[0];
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(region).toBeTruthy();
  expect(readme).toContain(`\`\`\`ts\n${region}\`\`\``);
});
