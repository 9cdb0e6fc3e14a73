import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { COMMANDS } from './commands/all-commands.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

it.each(COMMANDS.map((command) => [command.name]))(
  'README documents switchyard %s with an example and exit codes',
  (name) => {
    const section = readme.split(`### switchyard ${name}\n`)[1]?.split('\n### ')[0];
    expect(section, `no "### switchyard ${name}" section`).toBeTruthy();
    expect(section).toContain(`\`switchyard ${name}`);
    expect(section).toMatch(/```\n\$ switchyard /);
    expect(section).toContain('Exit codes: 0');
  },
);

it('README names every flag of every command', () => {
  for (const command of COMMANDS) {
    for (const flag of Object.keys(command.options))
      expect(readme, `--${flag} of ${command.name}`).toContain(`--${flag}`);
  }
});
