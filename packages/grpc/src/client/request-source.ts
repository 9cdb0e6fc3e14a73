import type { ClientWritableStream } from '@grpc/grpc-js';
import { CancelledError, describeValue, InvalidArgumentError } from '@switchyard/core';
import { describeNonRequest, isRequestObject } from './request-shape.js';

/** What a client-streaming or bidirectional call takes: its requests, all at hand or as they come. */
export type RequestStream<Request> = Iterable<Request> | AsyncIterable<Request>;

/** A call's write side, as grpc-js's client streams offer it. */
type WriteSide = Pick<ClientWritableStream<unknown>, 'write' | 'end' | 'on' | 'off'>;

/**
 * The requests of one client-streaming or bidirectional call, shared by its attempts.
 *
 * An array is replayable: every attempt sends it from the start, so the call may be retried (or
 * hedged) like a unary one. Any other iterable (a generator, a stream) is read once: the call may be
 * retried only while none of its requests has been sent, since what was sent cannot be sent again,
 * and only one attempt at a time may read it (a hedge would split the requests between attempts).
 * Each request is checked (`check`) before it is written, so a malformed one fails the call with
 * INVALID_ARGUMENT naming it (`requests[2].price`) instead of reaching the wire; an array's are all
 * checked at once, when the source is made, so that none of them is sent (the constructor throws).
 * Once the requests have failed (`failure`), no attempt may start.
 */
export class RequestSource {
  private readonly array: readonly unknown[] | undefined;
  private readonly iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  /** The requests, when they are a stream (a Node Readable): destroyed by close() (see there). */
  private readonly stream: { destroy(): unknown; readonly destroyed?: boolean } | undefined;
  /** A `next()` still out when its attempt ended: the next attempt takes its result. */
  private pendingNext: Promise<IteratorResult<unknown>> | IteratorResult<unknown> | undefined;
  /** Requests taken from a one-shot iterable, counted across attempts (for the index in errors). */
  private taken = 0;
  private sentAny = false;
  /** An attempt is writing the requests of a one-shot iterable. */
  private live = false;
  /** Why reading the requests failed (the iterable threw, or a request was malformed), if it did. */
  failure: Error | undefined;

  constructor(
    requests: unknown,
    private readonly check: ((request: object) => void) | undefined,
    method: string,
  ) {
    if (Array.isArray(requests)) {
      // All at hand: every request is checked before the call starts. Checked as each was written,
      // a malformed one cancelled a call already under way, and Node's HTTP/2 ends a request stream
      // before it resets it: the handler saw its requests end, ran on part of the batch (or none of
      // it) and replied OK to no one, whatever it committed meanwhile.
      // A plain loop, not forEach: a hole in a sparse array is a missing request, named too.
      for (let index = 0; index < requests.length; index++) this.assertRequest(requests[index], index);
      this.array = requests;
      return;
    }
    const source = requests as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null | undefined;
    const asyncIterator = source?.[Symbol.asyncIterator];
    const syncIterator = source?.[Symbol.iterator];
    if (typeof asyncIterator === 'function') {
      this.iterator = asyncIterator.call(source);
      if (typeof (source as { destroy?: unknown }).destroy === 'function') {
        this.stream = source as { destroy(): unknown; readonly destroyed?: boolean };
      }
    } else if (typeof syncIterator === 'function' && typeof requests !== 'string') {
      this.iterator = syncIterator.call(source);
    } else {
      throw new InvalidArgumentError(
        'requests',
        `${method} streams its requests: pass an array or an (async) iterable of request objects, got ${describeValue(requests)}`,
      );
    }
  }

  /** Whether every attempt sends all the requests again (an array). */
  get replayable(): boolean {
    return this.array !== undefined;
  }

  /** Whether a failed attempt may be tried again: the requests can all be sent again. */
  canRetry(): boolean {
    return this.failure === undefined && (this.array !== undefined || !this.sentAny);
  }

  /** Whether an attempt may start reading the requests now (see {@link refusal}). */
  mayStart(): boolean {
    return this.failure === undefined && (this.array !== undefined || (!this.live && !this.sentAny));
  }

  /**
   * Why another attempt may not start now, if it may not: the requests failed, were partly sent
   * already, or are being read by an attempt still running (a hedge). Not retryable, and coded
   * CANCELLED (neither the instance's failure nor a breaker's).
   */
  refusal(label: string): CancelledError | undefined {
    if (this.failure !== undefined) {
      return new CancelledError(`${label}: its requests failed: ${this.failure.message}`, { cause: this.failure });
    }
    if (this.array !== undefined) return undefined;
    if (this.live) {
      return new CancelledError(`${label}: requests read once (not an array) cannot go on two attempts at a time`);
    }
    if (this.sentAny) return new CancelledError(`${label}: requests read once were sent already; they cannot go again`);
    return undefined;
  }

  /**
   * Writes the requests into `call` as they come (waiting for it to drain when its buffer is full),
   * then half-closes it. Stops, without closing it, once `call` has ended (its `status`), or when the
   * returned function is called. When the requests cannot be read, records why in `failure` and
   * calls `onFailure` (which should cancel the call).
   */
  pump(call: WriteSide, onFailure: () => void): () => void {
    let stopped = false;
    this.live = this.array === undefined;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (this.array === undefined) this.live = false;
      call.off('status', stop);
    };
    call.on('status', stop);
    const write = async (request: unknown, index: number): Promise<void> => {
      // An array's requests were all checked when the call was made (see the constructor).
      if (this.array === undefined) this.assertRequest(request, index);
      this.sentAny = true;
      if (!call.write(request)) await drainedOrEnded(call);
    };
    const run = async (): Promise<void> => {
      const array = this.array;
      if (array !== undefined) {
        for (let index = 0; index < array.length && !stopped; index++) {
          await write(array[index], index);
        }
      } else {
        const iterator = this.iterator as Iterator<unknown> | AsyncIterator<unknown>;
        while (!stopped) {
          const next = this.pendingNext ?? iterator.next();
          this.pendingNext = next;
          const result = await next;
          // The attempt ended while the iterable was producing: the next attempt sends this one.
          if (stopped) break;
          this.pendingNext = undefined;
          if (result.done) break;
          await write(result.value, this.taken++);
        }
      }
      if (!stopped) {
        stop();
        call.end();
      }
    };
    run().catch((error: unknown) => {
      if (stopped) return;
      stop();
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      onFailure();
    });
    return stop;
  }

  /**
   * Closes a one-shot iterable that was not read to its end (its `finally` blocks run). A stream (a
   * Node Readable) is destroyed as well: its async iterator's return() waits behind a read still
   * pending and does nothing before the first, so a source gone quiet, or a call that failed before
   * reading it, left the stream (and the socket or file behind it) open for good.
   */
  close(): void {
    const iterator = this.iterator;
    if (iterator?.return !== undefined) {
      try {
        Promise.resolve(iterator.return()).catch(() => undefined);
      } catch {
        // A return() that throws has nothing left to close.
      }
    }
    if (this.stream !== undefined && this.stream.destroyed !== true) {
      try {
        this.stream.destroy();
      } catch {
        // A destroy() that throws: nothing more to do.
      }
    }
  }

  private assertRequest(request: unknown, index: number): void {
    if (!isRequestObject(request)) {
      throw new InvalidArgumentError(
        `requests[${index}]`,
        `must be a request object, got ${describeNonRequest(request)}`,
      );
    }
    if (this.check === undefined) return;
    try {
      this.check(request);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      // The shape check names `request.<field>`: said of the request at its place in the stream.
      throw new InvalidArgumentError(error.field.replace(/^request/, `requests[${index}]`), error.rule, {
        cause: error,
      });
    }
  }
}

/**
 * Resolves once `call` has room again ('drain') or has ended ('status'), and removes both listeners
 * then. Not `events.once`: it rejects on the call's 'error' event (a bidirectional call's failure,
 * which its reader reports, would have been taken for the requests' own), and the listener that
 * lost the race stayed on the call, one more for every wait.
 */
function drainedOrEnded(call: WriteSide): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('status', done);
      resolve();
    };
    call.on('drain', done);
    call.on('status', done);
  });
}
