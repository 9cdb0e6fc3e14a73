import { Metadata, type ServiceError, status as Status } from '@grpc/grpc-js';

/**
 * grpc-js's words for a server that broke the unary protocol: it ended a call OK with no response
 * message, or sent more than one. grpc-js (and this client's direct unary path, which uses the
 * same words) reports both as UNIMPLEMENTED, as gRPC's status-code table says.
 */
const CARDINALITY_DETAILS = new Set(['No message received', 'Too many responses received']);

/**
 * A server's broken reply (see CARDINALITY_DETAILS) as INTERNAL, as grpc-java and grpc-go report
 * it; else undefined. As UNIMPLEMENTED it read as a method the service lacks, a caller's mistake:
 * neither the circuit breaker nor outlier detection counted it, so an instance (or a proxy) that
 * answered every call with an empty OK kept all its traffic. The details stay as grpc-js wrote them.
 */
export function brokenReply(error: ServiceError): ServiceError | undefined {
  if (error.code !== Status.UNIMPLEMENTED || !CARDINALITY_DETAILS.has(error.details)) return undefined;
  return Object.assign(new Error(`${Status.INTERNAL} INTERNAL: ${error.details}`), {
    code: Status.INTERNAL,
    details: error.details,
    metadata: error.metadata ?? new Metadata(),
  });
}
