import type { Metadata, MethodDefinition } from '@grpc/grpc-js';
import { type FastLane, type ReadySubchannel, type SubchannelCall, setValidMetadata } from './grpc-internals.js';
import { cancelCall, NO_MESSAGE_CONTEXT, type UnaryCallHandle, type UnaryFinish, UnaryReply } from './unary-outcome.js';

const IGNORE_METADATA = (): void => undefined;

// grpc-timeout units, as grpc-js writes them: the smallest unit whose amount fits in 8 digits.
const TIMEOUT_UNITS: readonly (readonly [string, number])[] = [
  ['m', 1],
  ['S', 1_000],
  ['M', 60_000],
  ['H', 3_600_000],
];

/** The `grpc-timeout` header for an absolute deadline (ms), the way grpc-js computes it. */
export function grpcTimeoutHeader(deadline: number, now = Date.now()): string {
  const timeoutMs = Math.max(deadline - now, 0);
  for (const [unit, factor] of TIMEOUT_UNITS) {
    const amount = timeoutMs / factor;
    if (amount < 1e8) return `${Math.ceil(amount)}${unit}`;
  }
  throw new RangeError(`deadline ${deadline} is too far in the future for grpc-timeout`);
}

/** A gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length, the bytes. */
function framed(message: Buffer): Buffer {
  const output = Buffer.allocUnsafe(message.length + 5);
  output[0] = 0;
  output.writeUInt32BE(message.length, 1);
  message.copy(output, 5);
  return output;
}

/**
 * One unary call straight on a connected subchannel, below grpc-js's channel call stack
 * (ResolvingCall → RetryingCall → LoadBalancingCall → filter stack → SubchannelCall). With
 * Switchyard's channels none of those layers does anything a Switchyard call needs: the policy
 * retries and enforces the deadline (it cancels the attempt when time is up), grpc-js retries are
 * off, channels use pick_first and no call credentials, and messages are not compressed. Each layer
 * still costs every call its objects, promises and a deadline timer (measured in `pnpm bench:grpc`).
 *
 * What the skipped layers did and this call still does: `grpc-timeout` on the wire, `:authority`,
 * the same status, details and errors as `client.makeUnaryRequest`, grpc-js's own message size
 * limit (enforced by the subchannel call), and marking the channel busy so that its idle timer
 * does not close a connection in use. The caller enforces the local deadline.
 *
 * @returns the call's handle, or undefined when the call should take grpc-js's full path instead:
 *   the subchannel could not start it (it just lost its connection; the full path waits for a new
 *   one), or its deadline has already passed (the full path fails it without sending it).
 */
export function fastUnaryCall<Request, Response>(
  lane: FastLane,
  subchannel: ReadySubchannel,
  method: MethodDefinition<Request, Response>,
  serialized: Buffer,
  metadata: Metadata,
  deadline: number,
  finish: UnaryFinish<Response>,
): UnaryCallHandle | undefined {
  const now = Date.now();
  // A deadline already passed: grpc-js's own path fails it locally, without sending anything.
  if (deadline <= now) return undefined;
  if (deadline !== Number.POSITIVE_INFINITY)
    setValidMetadata(metadata, 'grpc-timeout', grpcTimeoutHeader(deadline, now));
  // Counted as activity from the start, so that a long call does not let the channel go idle.
  lane.touch(now);
  // The messages this call can read: a server may compress only with what the client accepts.
  setValidMetadata(metadata, 'grpc-accept-encoding', 'identity');
  let call: SubchannelCall;
  const reply = new UnaryReply(method.responseDeserialize, finish);
  try {
    call = subchannel.createCall(metadata, lane.authority, method.path, {
      onReceiveMetadata: IGNORE_METADATA,
      onReceiveMessage: (message: Buffer) => {
        // Framed here (the compression filter deframes on grpc-js's full path): flag, length, bytes.
        if (message[0] !== 0) {
          reply.failRead('Response message is compressed, but this call accepts identity only', call);
          return;
        }
        // The stream pauses after each message; reading on brings the status (or a second message).
        if (reply.accept(message.subarray(5), call)) call.startRead();
      },
      onReceiveStatus: (status) => {
        lane.touch(Date.now());
        reply.settle(status);
      },
    });
  } catch {
    return undefined;
  }
  call.startRead();
  call.sendMessageWithContext(NO_MESSAGE_CONTEXT, framed(serialized));
  call.halfClose();
  return { cancel: (deadlineExceeded) => cancelCall(call, deadlineExceeded) };
}
