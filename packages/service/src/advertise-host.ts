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

/**
 * `host` without the brackets of a bracketed IPv6 literal (`[fd00::1]`, as URLs write it, which
 * the host checks accept), else as it is.
 */
export function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Whether `host` is an unspecified address (`0.0.0.0`, `::` in any spelling, bracketed or not):
 * every interface, dialable by no one. (`[::]` passed as a specific host, and was registered.)
 */
export function listensEverywhere(host: string): boolean {
  const address = unbracketed(host);
  const family = isIP(address);
  return family !== 0 && UNSPECIFIED.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** IPv6 link-local addresses (fe80::/10): they need a zone id (`%eth0`), which no registry entry can carry. */
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

/**
 * The host to register: an explicit choice; else the address the servers listen on when it is
 * specific (127.0.0.1 in tests and demos); else this machine's first non-internal IPv4 address
 * (what a pod or VM is reachable at); else, for servers listening on every IPv6 address (`::`),
 * its first non-internal IPv6 address that is not link-local (an IPv6-only machine: it advertised
 * 127.0.0.1, which sent every caller to its own machine); else loopback.
 */
export function advertiseHost(explicit: string | undefined, listenHost: string | undefined): string {
  if (explicit) return explicit;
  if (listenHost && !listensEverywhere(listenHost)) return listenHost;
  const interfaces = Object.values(networkInterfaces()).flatMap((addresses) => addresses ?? []);
  const ipv4 = interfaces.find((address) => address.family === 'IPv4' && !address.internal);
  if (ipv4) return ipv4.address;
  // A server on 0.0.0.0 takes IPv4 only: an IPv6 address would be as unreachable as loopback.
  if (listenHost && isIP(unbracketed(listenHost)) === 6) {
    const ipv6 = interfaces.find(
      (address) => address.family === 'IPv6' && !address.internal && !LINK_LOCAL.check(address.address, 'ipv6'),
    );
    if (ipv6) return ipv6.address;
  }
  return '127.0.0.1';
}
