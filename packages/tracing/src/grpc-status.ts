/** gRPC status code names, indexed by code (0–16), as used for `rpc.status_code`. */
export const GRPC_STATUS_NAMES: readonly string[] = Object.freeze([
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

/** The name of a gRPC status code; an unknown code stays a number, as a string. */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? String(code);
}

// Server side, the gRPC conventions count only these as errors: the others (NOT_FOUND,
// INVALID_ARGUMENT, …) are the caller's problem, not the server's.
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]);

/** Whether a gRPC status marks the span as an error: any non-OK code on a client, a server fault on a server. */
export function isGrpcError(code: number, kind: 'client' | 'server'): boolean {
  return kind === 'client' ? code !== 0 : SERVER_ERROR_CODES.has(code);
}
