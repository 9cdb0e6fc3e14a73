import type { Server as NetServer } from 'node:net';
import type { Server, ServerCredentials } from '@grpc/grpc-js';

// The one module of the server that reaches below grpc-js's public API, as client/grpc-internals.ts
// does for the client. What it uses, in @grpc/grpc-js 1.14 (the version this package pins):
// `Server.boundPorts`, the Map (address → bind) that `bindAsync` looks an address up in first, and
// each bind's `listeningServers`, the HTTP/2 servers it listens with. Feature-detected: a grpc-js
// without them is used through its public API alone.

/** A bind's entry in grpc-js's `boundPorts`, as far as this module reads it. */
interface BoundPort {
  mapKey: string;
  listeningServers?: Set<NetServer>;
}

/** grpc-js's record of the server's binds, or undefined when this grpc-js does not keep one as 1.14 does. */
function boundPortsOf(server: Server): Map<string, BoundPort> | undefined {
  const boundPorts = (server as unknown as { boundPorts?: unknown }).boundPorts;
  return boundPorts instanceof Map ? (boundPorts as Map<string, BoundPort>) : undefined;
}

/**
 * `server.bindAsync(address, credentials)` as a promise, which after a failed bind lets the address
 * be bound again. grpc-js records a bind of a port other than 0 as it starts, keeps the record when
 * the bind fails, and answers every later bind of that address with the first failure: a server
 * whose port was still held by the process it replaces could never listen on it. The failed bind's
 * record (the one this call added, still idle) is dropped, so a later bind tries again.
 */
export function bindAsyncRetryable(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  const boundPorts = boundPortsOf(server);
  const before = boundPorts === undefined ? undefined : new Set(boundPorts.values());
  // The record this bind adds: grpc-js makes it synchronously, and calls back later.
  let added: BoundPort | undefined;
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) {
        if (added !== undefined) forget(boundPorts, added);
        reject(error);
      } else {
        resolve(port);
      }
    });
    // None for port 0 (recorded only once bound), nor for an address bound or being bound already
    // (that record is not this call's).
    if (before !== undefined) added = addedSince(boundPorts, before);
  });
}

/** The bind recorded in `boundPorts` that was not in `before`. */
function addedSince(boundPorts: Map<string, BoundPort> | undefined, before: Set<BoundPort>): BoundPort | undefined {
  for (const entry of boundPorts?.values() ?? []) if (!before.has(entry)) return entry;
  return undefined;
}

/** Drops a failed bind's record, if it is still the one for its address and listens nowhere. */
function forget(boundPorts: Map<string, BoundPort> | undefined, entry: BoundPort): void {
  if (boundPorts?.get(entry.mapKey) !== entry || (entry.listeningServers?.size ?? 0) > 0) return;
  boundPorts.delete(entry.mapKey);
}

/**
 * The servers grpc-js listens with for `server` (one per bound address), or none when this grpc-js
 * does not record them as 1.14 does. Its public API hides them, and with them their 'error' event:
 * an accept() that failed (out of file descriptors) was emitted there with no listener, which ended
 * the process (see createGrpcServer's listen()).
 */
export function listeningServersOf(server: Server): NetServer[] {
  const listening: NetServer[] = [];
  for (const bound of boundPortsOf(server)?.values() ?? []) {
    if (bound.listeningServers instanceof Set) listening.push(...bound.listeningServers);
  }
  return listening;
}
