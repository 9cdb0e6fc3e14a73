import { expect, it } from 'vitest';
import { terminalSafeJson } from './table.js';

it('escapes C1 controls and bidirectional overrides in JSON text, which still parses to the same value', () => {
  const value = { details: 'ok\u009b31m\u202edisguised\u2066', nested: ['\u001b[2J'] };
  const json = JSON.stringify(value, null, 2);
  const safe = terminalSafeJson(json);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  expect(safe).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(JSON.parse(safe)).toEqual(value);
  expect(safe).toContain('\\u009b');
});
