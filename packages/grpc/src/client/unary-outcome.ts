import type { ServiceError, StatusObject } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';

/**
 * A unary call in flight. `cancel()` ends it with CANCELLED; `cancel(true)` with DEADLINE_EXCEEDED,
 * for a caller whose deadline passed (so that the outcome, the balancer and outlier detection see
 * a timeout, not a caller who gave up).
 */
export interface UnaryCallHandle {
  cancel(deadlineExceeded?: boolean): void;
}

/** Ends `call` as {@link UnaryCallHandle.cancel} describes. */
export function cancelCall(
  call: { cancelWithStatus(code: number, details: string): void },
  deadlineExceeded: boolean | undefined,
): void {
  if (deadlineExceeded) call.cancelWithStatus(Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
  else call.cancelWithStatus(Status.CANCELLED, 'Cancelled on client');
}

/** Settles a unary attempt: an error, or the response. */
export type UnaryFinish<Response> = (error: ServiceError | null, response?: Response) => void;

/** A ServiceError as grpc-js makes one: `"<code> <NAME>: <details>"`, with code, details and metadata. */
export function serviceError(status: StatusObject): ServiceError {
  const error = new Error(`${status.code} ${Status[status.code]}: ${status.details}`);
  return Object.assign(error, { code: status.code, details: status.details, metadata: status.metadata });
}
