import type { IncomingHttpHeaders } from 'node:http';

/** Where an incoming request was sent, for its SERVER span (see {@link serverHost}). */
export interface ServerHost {
  address: string | undefined;
  port: number | undefined;
}

const last: ServerHost & { authority: string | undefined; tls: boolean } = {
  authority: undefined,
  tls: false,
  address: undefined,
  port: undefined,
};

/**
 * `server.address` and `server.port` of an incoming request, as the HTTP server span conventions
 * define them: the host the client called, from the `:authority` pseudo-header (HTTP/2) or the
 * `Host` header, and its port (the scheme's default, 80 or 443, when the header names none). Both
 * are undefined when neither header is there or it names no host (an HTTP/1.0 request): the
 * listening socket's port alone says nothing about the address the client used.
 *
 * `serverHost()` fills these fields and returns them (one shared object, valid until the next
 * call), so a request makes no allocation. The last header is remembered: a server mostly sees the
 * same one request after request, and then nothing is parsed again.
 */
export function serverHost(headers: IncomingHttpHeaders, tls: boolean): ServerHost {
  const authority = (headers[':authority'] as string | undefined) ?? headers.host;
  if (authority !== last.authority || tls !== last.tls) {
    last.authority = authority;
    last.tls = tls;
    parseAuthority(authority, tls, last);
  }
  return last;
}

/** `host[:port]` or `[ipv6][:port]` into `into`; an IPv6 address is recorded without its brackets. */
function parseAuthority(authority: string | undefined, tls: boolean, into: ServerHost): void {
  into.address = undefined;
  into.port = undefined;
  if (authority === undefined || authority === '') return;
  let address: string;
  let rest: string;
  if (authority.charCodeAt(0) === 0x5b /* [ */) {
    const end = authority.indexOf(']');
    if (end < 0) return;
    address = authority.slice(1, end);
    rest = authority.slice(end + 1);
    if (rest !== '' && rest.charCodeAt(0) !== 0x3a /* : */) return;
  } else {
    const colon = authority.indexOf(':');
    // More than one colon outside brackets is no host (an IPv6 address must be bracketed).
    if (colon >= 0 && authority.indexOf(':', colon + 1) >= 0) return;
    address = colon < 0 ? authority : authority.slice(0, colon);
    rest = colon < 0 ? '' : authority.slice(colon);
  }
  if (address === '') return;
  into.address = address;
  // An empty port (`host:`) means the default, as in a URI.
  into.port = rest.length <= 1 ? (tls ? 443 : 80) : parsePort(rest.slice(1));
}

/** A port number, or undefined for anything that is not 1 to 5 digits up to 65535. */
function parsePort(text: string): number | undefined {
  if (text.length > 5) return undefined;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}
