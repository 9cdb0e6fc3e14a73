/**
 * The listen() error codes that are about the address rather than the port: not this machine's
 * (EADDRNOTAVAIL), of a family it lacks (EAFNOSUPPORT: IPv6 turned off), one the system refuses to
 * bind at all (EINVAL: a link-local `fe80::1` without its interface; a multicast address), or a
 * name that does not resolve (ENOTFOUND, EAI_*, ENODATA). One list for every server of a service
 * (gRPC, HTTP, the metrics endpoint), so that the same bad address is named alike by all three: it
 * was three lists, and EINVAL came out as UNKNOWN from one, as the port from the others.
 */
const ADDRESS_ERROR_CODES: ReadonlySet<string> = new Set([
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
  'EINVAL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'EAI_NODATA',
  'ENODATA',
]);

/** Whether a listen() error with this system error `code` is about the address (see ADDRESS_ERROR_CODES). */
export function isListenAddressError(code: string | undefined): boolean {
  return code !== undefined && ADDRESS_ERROR_CODES.has(code);
}
