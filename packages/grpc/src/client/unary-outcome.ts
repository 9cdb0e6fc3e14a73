import type { ServiceError, StatusObject } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

/** Settles a unary attempt: an error, or the response. */
export type UnaryFinish<Response> = (error: ServiceError | null, response?: Response) => void;

/** A ServiceError as grpc-js makes one: `"<code> <NAME>: <details>"`, with code, details and metadata. */
export function serviceError(status: StatusObject): ServiceError {
  const error = new Error(`${status.code} ${Status[status.code]}: ${status.details}`);
  return Object.assign(error, { code: status.code, details: status.details, metadata: status.metadata });
}
