import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * The unspecified addresses, which a server listens on to mean "every interface" and which no
 * other machine can dial. A BlockList compares addresses, not spellings: `::` is also `::0`,
 * `0:0:0:0:0:0:0:0` or `0000::`, and every one of them was registered as the host to dial.
 */
const UNSPECIFIED = new BlockList();
UNSPECIFIED.addAddress('0.0.0.0', 'ipv4');
UNSPECIFIED.addAddress('::', 'ipv6');

/** Whether `host` is an unspecified address (`0.0.0.0`, `::` in any spelling): every interface, dialable by no one. */
export function listensEverywhere(host: string): boolean {
  const family = isIP(host);
  return family !== 0 && UNSPECIFIED.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The host to register: an explicit choice; else the address the servers listen on when it is
 * specific (127.0.0.1 in tests and demos); else this machine's first non-internal IPv4 address
 * (what a pod or VM is reachable at); else loopback.
 */
export function advertiseHost(explicit: string | undefined, listenHost: string | undefined): string {
  if (explicit) return explicit;
  if (listenHost && !listensEverywhere(listenHost)) return listenHost;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}
