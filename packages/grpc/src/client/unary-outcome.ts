import { Metadata, type ServiceError, status as Status, type StatusObject } from '@grpc/grpc-js';
import { markBrokenReply } from './response-cardinality.js';

/** The (empty) write context both grpc-js call layers take with a message. */
export const NO_MESSAGE_CONTEXT = Object.freeze({});

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

/** The message of a thrown value, for status details. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A call that a reply can end early: both grpc-js call layers Switchyard uses have this. */
interface Cancellable {
  cancelWithStatus(code: number, details: string): void;
}

/**
 * One unary call's reply as grpc-js's own client reads it: exactly one message, parsed; then the
 * status settles the call. The same outcomes whichever call layer the messages come from.
 */
export class UnaryReply<Response> {
  private response: Response | undefined;
  private received = false;
  /** A second message came, and this side ended the call for it. */
  private tooMany = false;
  private readError: StatusObject | undefined;

  constructor(
    private readonly deserialize: (bytes: Buffer) => Response,
    private readonly finish: UnaryFinish<Response>,
  ) {}

  /** Takes a (deframed) message; a second one, or one that does not parse, ends `call`. @returns whether it was kept */
  accept(message: Buffer, call: Cancellable): boolean {
    if (this.received) {
      this.tooMany = true;
      call.cancelWithStatus(Status.UNIMPLEMENTED, 'Too many responses received');
      return false;
    }
    this.received = true;
    try {
      this.response = this.deserialize(message);
      return true;
    } catch (error) {
      this.failRead(`Response message parsing error: ${messageOf(error)}`, call);
      return false;
    }
  }

  /** Ends `call` with INTERNAL for a message that could not be read; the outcome reports it. */
  failRead(details: string, call: Cancellable): void {
    this.received = true;
    this.readError = { code: Status.INTERNAL, details, metadata: new Metadata() };
    call.cancelWithStatus(this.readError.code, details);
  }

  /**
   * Settles the call from its final status. The UNIMPLEMENTED this side makes up for a reply that
   * broke the protocol is marked as such (see markBrokenReply); the same status sent by the server
   * is not.
   */
  settle(status: StatusObject): void {
    if (this.readError) this.finish(serviceError(this.readError));
    else if (this.tooMany && status.code === Status.UNIMPLEMENTED) this.finish(markBrokenReply(serviceError(status)));
    else if (status.code !== Status.OK) this.finish(serviceError(status));
    else if (!this.received) {
      this.finish(
        markBrokenReply(
          serviceError({ code: Status.UNIMPLEMENTED, details: 'No message received', metadata: status.metadata }),
        ),
      );
    } else this.finish(null, this.response);
  }
}
