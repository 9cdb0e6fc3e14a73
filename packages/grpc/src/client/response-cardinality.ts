import {
  InterceptingCall,
  type Interceptor,
  ListenerBuilder,
  Metadata,
  type ServiceError,
  status as Status,
  type StatusObject,
} from '@grpc/grpc-js';

/**
 * grpc-js's words for a server that broke the unary protocol: it ended a call OK with no response
 * message, or sent more than one. grpc-js (and this client's direct unary path, which uses the
 * same words) reports both as UNIMPLEMENTED, as gRPC's status-code table says.
 */
const CARDINALITY_DETAILS = new Set(['No message received', 'Too many responses received']);

/** Set on an UNIMPLEMENTED error this side made up for a broken reply (see markBrokenReply). */
const BROKEN_REPLY = Symbol('switchyard.grpc.brokenReply');

/**
 * Marks `error`, an UNIMPLEMENTED this client made up because the reply broke the unary protocol
 * (no message with an OK status, or a second message), for {@link brokenReply}. Only a marked
 * error is rewritten: the same code and words sent by a server (a grpc-js service passing on what
 * its own client said of a broken downstream, or replying so itself) is that server's answer.
 */
export function markBrokenReply<E extends ServiceError>(error: E): E {
  (error as E & { [BROKEN_REPLY]?: true })[BROKEN_REPLY] = true;
  return error;
}

/**
 * A broken reply this client detected (see markBrokenReply) as INTERNAL, as grpc-java and grpc-go
 * report it; else undefined. As UNIMPLEMENTED it read as a method the service lacks, a caller's
 * mistake: neither the circuit breaker nor outlier detection counted it, so an instance (or a
 * proxy) that answered every call with an empty OK kept all its traffic. The details stay as
 * grpc-js wrote them. An UNIMPLEMENTED a server sent is never rewritten, whatever its details:
 * read by its words alone, a server's own status became INTERNAL, was counted against a healthy
 * instance (opening the breaker on replies that say nothing of its health), and lost its code.
 */
export function brokenReply(error: ServiceError): ServiceError | undefined {
  if (error.code !== Status.UNIMPLEMENTED || (error as { [BROKEN_REPLY]?: true })[BROKEN_REPLY] !== true) {
    return undefined;
  }
  return Object.assign(new Error(`${Status.INTERNAL} INTERNAL: ${error.details}`), {
    code: Status.INTERNAL,
    details: error.details,
    metadata: error.metadata ?? new Metadata(),
  });
}

/**
 * For a call made through grpc-js's Client methods, whose cardinality errors grpc-js makes: an
 * interceptor that sees the reply as it came (how many messages, the status the server sent), and
 * `judge`, which marks the call's error (see markBrokenReply) when grpc-js made it up rather than
 * the server sending it: an UNIMPLEMENTED in those words after an OK status, or after a second message.
 */
export function cardinalityWatch(): {
  interceptor: Interceptor;
  judge: <E extends ServiceError | null>(error: E) => E;
} {
  let messages = 0;
  let wireStatus: StatusObject | undefined;
  const interceptor: Interceptor = (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(
          metadata,
          new ListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              messages++;
              nextMessage(message);
            })
            .withOnReceiveStatus((status, nextStatus) => {
              wireStatus = status;
              nextStatus(status);
            })
            .build(),
        );
      },
    });
  const judge = <E extends ServiceError | null>(error: E): E => {
    if (error === null || error.code !== Status.UNIMPLEMENTED || !CARDINALITY_DETAILS.has(error.details)) return error;
    return messages > 1 || wireStatus?.code === Status.OK ? markBrokenReply(error) : error;
  };
  return { interceptor, judge };
}
