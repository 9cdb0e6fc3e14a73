import type { Logger } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from './decode.js';
import { WarnOnce } from './warn-once.js';

function recordingWarnings(): { warnings: WarnOnce; said: Record<string, unknown>[] } {
  const said: Record<string, unknown>[] = [];
  const noop = (): void => {};
  const logger: Logger = {
    debug: noop,
    info: noop,
    error: noop,
    warn: (fields: Record<string, unknown> | string) => {
      said.push(typeof fields === 'string' ? {} : fields);
    },
  };
  return { warnings: new WarnOnce(logger), said };
}

describe('decodeMessage', () => {
  it('says a change message came without its instance, not that Redis holds a lease without an entry', () => {
    for (const type of ['up', 'update']) {
      const { warnings, said } = recordingWarnings();
      expect(decodeMessage('catalog', JSON.stringify({ rev: 3, type }), warnings)).toBeUndefined();
      expect(said).toEqual([{ service: 'catalog', problem: `${type} without an instance` }]);
    }
  });
});
