import { type Client, type MethodDefinition, Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { fastUnaryCall } from './fast-unary-call.js';
import { fastLaneOf } from './grpc-internals.js';
import {
  cancelCall,
  messageOf,
  NO_MESSAGE_CONTEXT,
  serviceError,
  type UnaryCallHandle,
  type UnaryFinish,
  UnaryReply,
} from './unary-outcome.js';

export type { UnaryFinish } from './unary-outcome.js';

/**
 * One unary call with the same results as `client.makeUnaryRequest`: the same status codes and
 * details for serialisation, parsing and "no message" failures, and ServiceError-shaped errors. One
 * difference: a reply of two messages fails at once ("Too many responses received"), where grpc-js
 * reads no further than the first and waits out the call's deadline.
 * When the channel is connected it goes straight to the connection ({@link fastUnaryCall}, where
 * the caller enforces the local deadline); otherwise on the channel (`channel.createCall`, grpc-js's
 * public channel interface), which connects, waits, and times out by itself.
 *
 * Why: `makeUnaryRequest` builds, for every call, an interceptor chain (arrays, closures, option
 * copies), two intercepting-call wrappers, a call EventEmitter, and an `Error` to capture the
 * caller's stack. With no interceptors configured none of that does anything; skipping it is a
 * measurable share of grpc-js's client CPU per call (see `pnpm bench:grpc`). Switchyard's own
 * layers (policy, tracing, metadata) run around this call, so nothing is lost.
 *
 * @param deadline absolute ms, or `Infinity` for none.
 * @returns the call's handle (see {@link UnaryCallHandle}).
 */
export function directUnaryCall<Request, Response>(
  client: Client,
  method: MethodDefinition<Request, Response>,
  request: Request,
  metadata: Metadata,
  deadline: number,
  finish: UnaryFinish<Response>,
): UnaryCallHandle {
  let serialized: Buffer;
  try {
    serialized = method.requestSerialize(request);
  } catch (error) {
    // Reported asynchronously, like every other outcome, so callers see one order of events.
    const failure = serviceError({
      code: Status.INTERNAL,
      details: `Request message serialization failure: ${messageOf(error)}`,
      metadata: new Metadata(),
    });
    queueMicrotask(() => finish(failure));
    return { cancel: () => undefined };
  }
  const lane = fastLaneOf(client);
  const subchannel = lane?.readySubchannel(metadata);
  if (lane && subchannel) {
    const fast = fastUnaryCall(lane, subchannel, method, serialized, metadata, deadline, finish);
    if (fast) return fast;
  }
  const call = client.getChannel().createCall(method.path, deadline, undefined, null, undefined);
  const reply = new UnaryReply(method.responseDeserialize, finish);
  call.start(metadata, {
    onReceiveMetadata: () => undefined,
    onReceiveMessage: (message: Buffer) => {
      // Read on, as the fast lane does: a second message must be read to be refused. Read once
      // (grpc-js's own makeUnaryRequest does), a server that sent two messages then OK left the
      // second unread and the status with it, and the call waited out its whole deadline.
      if (reply.accept(message, call)) call.startRead();
    },
    onReceiveStatus: (status: StatusObject) => reply.settle(status),
  });
  call.startRead();
  call.sendMessageWithContext(NO_MESSAGE_CONTEXT, serialized);
  call.halfClose();
  return { cancel: (deadlineExceeded) => cancelCall(call, deadlineExceeded) };
}
