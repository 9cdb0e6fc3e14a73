import { networkInterfaces } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { advertiseHost } from './advertise-host.js';

// The real interfaces, unless a test says otherwise.
vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  return { ...os, networkInterfaces: vi.fn(os.networkInterfaces) };
});

/** One interface's address, as os.networkInterfaces() lists it. */
function address(family: 'IPv4' | 'IPv6', value: string, internal = false) {
  const base = { address: value, netmask: '', mac: '00:00:00:00:00:00', internal, cidr: null };
  return family === 'IPv4' ? { ...base, family } : { ...base, family, scopeid: 0 };
}

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

  it('advertises a global IPv6 address of an IPv6-only machine listening on ::, where it advertised 127.0.0.1', () => {
    // A machine with no IPv4 address but loopback (an IPv6-only pod or Compose network): callers
    // were handed 127.0.0.1, their own machine, for a service listening on every IPv6 address.
    vi.mocked(networkInterfaces).mockReturnValue({
      lo: [address('IPv4', '127.0.0.1', true), address('IPv6', '::1', true)],
      eth0: [address('IPv6', 'fe80::1c2:3ff:fe04:506'), address('IPv6', 'fd00:10:244::7')],
    });
    try {
      expect(advertiseHost(undefined, '::')).toBe('fd00:10:244::7');
      expect(advertiseHost(undefined, '[::]')).toBe('fd00:10:244::7');
      // IPv4 first whenever there is one (dual stack), and a server on 0.0.0.0 takes no IPv6.
      expect(advertiseHost(undefined, '0.0.0.0')).toBe('127.0.0.1');
    } finally {
      vi.mocked(networkInterfaces).mockReset();
    }
  });
});
