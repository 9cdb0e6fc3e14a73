import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { constants } from 'node:os';
import { ErrorCode, InvalidArgumentError, isListenAddressError, SwitchyardError } from '@switchyard/core';

/** A failed listen or lookup as Node reports it: `listen EADDRINUSE: …` with its `code` and `syscall`. */
export interface ListenSystemError extends Error {
  code: string;
  syscall: string;
  errno?: number;
  address?: string;
  port?: number;
  hostname?: string;
}

/** The port is at fault: taken, or not one this process may use. */
const PORT_CODES = new Set(['EADDRINUSE', 'EACCES', 'EPERM']);
/**
 * grpc-js keeps only the message of each address it failed to bind, joined into one error with no
 * code: `No address added out of total 2 resolved errors: [listen EADDRINUSE: address already in
 * use 127.0.0.1:50051,listen EADDRNOTAVAIL: …]`. This is the one place that reads that text (tests
 * pin it against the grpc-js in use); everything else reads the error's `field` and `cause.code`.
 */
const FAILED_BIND = /listen (E[A-Z_]+): (.*?)(?=,listen E[A-Z_]+: |\]$|$)/g;
/** grpc-js's words for a host it could not resolve (it keeps no resolver error). */
const FAILED_RESOLUTION = /^(Name resolution failed|No addresses resolved)/;

/**
 * Resolves `host` as grpc-js will (a name, not an IP literal), so that one that does not resolve
 * fails with the resolver's own error (`getaddrinfo ENOTFOUND …`, with its code): grpc-js reports
 * only "Name resolution failed". Once per listen(), never per call.
 * @returns the error to reject listen() with, or undefined when the host resolves.
 */
export async function unresolvableHost(host: string, port: number): Promise<InvalidArgumentError | undefined> {
  if (isIP(host) !== 0) return undefined;
  try {
    await lookup(host, { all: true });
    return undefined;
  } catch (error) {
    return new InvalidArgumentError('host', `cannot listen on ${host}:${port}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * listen()'s error for a bind that grpc-js failed: INVALID_ARGUMENT naming `port` (in use, not
 * permitted) or `host` (not this machine's address, does not resolve), with the system error
 * (`code`, `syscall: 'listen'`, `address`, `port`; grpc-js's report as its cause) as the cause.
 * Anything else is UNKNOWN, with grpc-js's error as the cause: nobody's setting is blamed for it.
 */
export function listenError(error: Error, host: string, port: number, address: string): SwitchyardError {
  const failures = [...error.message.matchAll(FAILED_BIND)].map(([text, code]) =>
    systemError(text, code as string, host, port, error),
  );
  // With several addresses (localhost: ::1 and 127.0.0.1), a port taken on any of them is the port's fault.
  const system =
    failures.find((failure) => PORT_CODES.has(failure.code)) ??
    failures.find((failure) => isListenAddressError(failure.code));
  if (system !== undefined) {
    return new InvalidArgumentError(
      PORT_CODES.has(system.code) ? 'port' : 'host',
      `cannot listen on ${address}: ${system.message}`,
      { cause: system },
    );
  }
  if (failures.length === 0 && FAILED_RESOLUTION.test(error.message)) {
    return new InvalidArgumentError('host', `cannot listen on ${address}: ${error.message}`, { cause: error });
  }
  return new SwitchyardError(ErrorCode.UNKNOWN, `listen(): cannot listen on ${address}: ${error.message}`, {
    cause: failures[0] ?? error,
  });
}

/**
 * The system error grpc-js reduced to its message, rebuilt as Node reports it (its `address` and
 * `port` are the ones listen() was given), with grpc-js's error as its cause.
 */
function systemError(text: string, code: string, host: string, port: number, cause: Error): ListenSystemError {
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  return Object.assign(new Error(text, { cause }), {
    code,
    syscall: 'listen',
    ...(errno === undefined ? {} : { errno: -errno }),
    address: host,
    port,
  });
}
