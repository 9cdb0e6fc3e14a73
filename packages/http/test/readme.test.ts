import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');

it('shows the quick start exactly as test/quick-start.int.test.ts runs it', () => {
  const source = read('./quick-start.int.test.ts');
  const start = source.indexOf('// #region quick-start\n') + '// #region quick-start\n'.length;
  const region = source.slice(start, source.indexOf('// #endregion quick-start')).trimEnd();
  expect(read('../README.md')).toContain(`\`\`\`ts\n${region}\n\`\`\``);
});
