import { describe, expect, it } from 'vitest';
import { advertiseHost } from './advertise-host.js';

describe('advertiseHost', () => {
  it('never advertises an address that means "every interface", however it is spelt', () => {
    // Listening on 0:0:0:0:0:0:0:0 is listening on '::', but only the two short spellings were
    // recognised: the others were registered as the host to dial, which reaches no other machine.
    const everywhere = advertiseHost(undefined, '0.0.0.0');
    for (const host of ['::', '::0', '0:0:0:0:0:0:0:0', '0000::', '::ffff:0.0.0.0']) {
      expect(advertiseHost(undefined, host)).toBe(everywhere);
    }
  });

  it('advertises an explicit host, else a specific listen address as it is', () => {
    expect(advertiseHost('10.0.0.7', '0.0.0.0')).toBe('10.0.0.7');
    expect(advertiseHost(undefined, '127.0.0.1')).toBe('127.0.0.1');
    expect(advertiseHost(undefined, '::1')).toBe('::1');
    expect(advertiseHost(undefined, 'catalog.internal')).toBe('catalog.internal');
  });
});
