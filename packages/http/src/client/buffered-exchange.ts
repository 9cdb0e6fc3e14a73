import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, util } from 'undici';
import type { AttemptAbort } from './attempt-abort.js';

/** A whole response, read into memory by {@link exchangeBuffered}. */
export interface BufferedReply {
  status: number;
  /** The body; for an error status (≥ 400) at most `maxErrorBodyBytes` of it, for a redirect at most `maxRedirectBodyBytes`. */
  bytes: Buffer;
  /** Whether an error body was cut at `maxErrorBodyBytes`. */
  truncated: boolean;
  /** Header lines as undici received them; parse with {@link headersOf} only when needed. */
  rawHeaders: Buffer[];
}

/** Response headers as an object (names lower-cased, repeated names as arrays). */
export function headersOf(reply: BufferedReply): IncomingHttpHeaders {
  return util.parseHeaders(reply.rawHeaders) as IncomingHttpHeaders;
}

/**
 * Sends one request on `dispatcher` and reads its whole response into memory, through undici's
 * low-level `dispatch` handler API.
 *
 * Why not `dispatcher.request()` and `body.json()`: that path wraps every response in a Node
 * `Readable` and consumes it through the stream machinery, and parses every header into an object.
 * The JSON helpers want the bytes, and the headers only for an error status; skipping the stream
 * costs measurably less client CPU per call (see packages/bench, `pnpm bench:http`), which is
 * what lets the full client stack keep up with raw undici.
 *
 * `abort` cancels the exchange at any point, body included (undici then reports the reason).
 */
export function exchangeBuffered(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  abort: AttemptAbort,
  maxErrorBodyBytes: number,
  maxRedirectBodyBytes: number,
): Promise<BufferedReply> {
  return new Promise((resolve, reject) => {
    if (abort.reason !== undefined) {
      reject(abort.reason);
      return;
    }
    const handler = new BufferingHandler(resolve, reject, abort, maxErrorBodyBytes, maxRedirectBodyBytes);
    // Until undici connects the request it hands over no abort function: meanwhile an abort
    // settles the exchange at once (a request queued behind a busy connection, or stuck
    // connecting, would otherwise outlive its deadline), and undici drops it on connecting.
    abort.failOnAbort(handler);
    dispatcher.dispatch(options, handler);
  });
}

/** Collects a response's chunks; settles the exchange's promise exactly once. */
class BufferingHandler implements Dispatcher.DispatchHandlers {
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private limit = Number.POSITIVE_INFINITY;
  private truncated = false;
  private settled = false;
  /** undici's abort function for this exchange, once it has connected. */
  private abortExchange: ((error?: Error) => void) | undefined = undefined;

  constructor(
    private readonly resolve: (reply: BufferedReply) => void,
    private readonly reject: (error: Error) => void,
    private readonly abort: AttemptAbort,
    private readonly maxErrorBodyBytes: number,
    private readonly maxRedirectBodyBytes: number,
  ) {}

  onConnect(abortExchange: (error?: Error) => void): void {
    this.abortExchange = abortExchange;
    this.abort.failOnAbort(undefined);
    const reason = this.abort.reason;
    if (reason !== undefined) abortExchange(reason);
    else this.abort.onAbortDo(abortExchange);
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.status = status;
    this.rawHeaders = rawHeaders;
    // An error body is kept for the error, bounded; the rest is read and dropped (frees the connection).
    // 3xx too: the JSON helpers turn every redirect (304 has no body) into an HttpCallError, and a
    // redirect's body was kept whole, however large, past maxErrorBodyBytes. Its own bound: a
    // redirect is never handed back (`throwOnStatus: false` lifts the error bound, not this one).
    if (status >= 400) this.limit = this.maxErrorBodyBytes;
    else if (status >= 300) this.limit = this.maxRedirectBodyBytes;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.size + chunk.length <= this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    } else if (!this.truncated) {
      this.chunks.push(chunk.subarray(0, this.limit - this.size));
      this.size = this.limit;
      this.truncated = true;
      // Settled with what was kept, and the rest not read: a large or slow error body read to its
      // end held the call until it ended, or until the deadline, which then hid the status and
      // body. The connection is dropped, as request() drops an error body past its limit.
      this.onComplete();
      this.abortExchange?.(new Error('error body past maxErrorBodyBytes: the rest is not read'));
      return false;
    }
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.settled = true;
    this.abort.onAbortDo(undefined);
    const chunks = this.chunks;
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, this.size);
    this.resolve({ status: this.status, bytes, truncated: this.truncated, rawHeaders: this.rawHeaders });
  }

  onError(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.abort.onAbortDo(undefined);
    this.abort.failOnAbort(undefined);
    this.reject(error);
  }
}
