import { networkInterfaces } from 'node:os';

/**
 * The host to register: an explicit choice; else the address the servers listen on when it is
 * specific (127.0.0.1 in tests and demos); else this machine's first non-internal IPv4 address
 * (what a pod or VM is reachable at); else loopback.
 */
export function advertiseHost(explicit: string | undefined, listenHost: string | undefined): string {
  if (explicit) return explicit;
  if (listenHost && listenHost !== '0.0.0.0' && listenHost !== '::') return listenHost;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}
