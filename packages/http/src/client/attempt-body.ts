import { Readable } from 'node:stream';

/**
 * One attempt's view of a stream body: what undici is given instead of the caller's stream.
 *
 * Why: undici destroys the body it was given when a request fails, whether it read any of it or
 * not. Given the caller's stream, a request whose connection was refused (nothing sent, the
 * instance dead) destroyed it, so the call could not go on to another instance, as one with a
 * string or bytes body does. The view starts reading its source only when undici first reads from
 * it (once connected, as it writes the request); destroyed before that, it leaves the source whole
 * for the next attempt. Once it has started, the source is this attempt's: it ends with the view,
 * destroyed with it (as undici destroyed it before), and is never sent again.
 */
export class AttemptBody extends Readable {
  private started = false;

  /** @param onStart called once, when the first read takes the source for this attempt. */
  constructor(
    private readonly source: Readable,
    private readonly onStart: () => void,
  ) {
    // The source's own mode: a chunk it yields goes to undici as it is (one undici refuses fails the
    // request as before, instead of the view's push throwing out of a 'data' listener).
    super({ highWaterMark: source.readableHighWaterMark, objectMode: source.readableObjectMode });
  }

  /** Whether this attempt took the source (read from it): it cannot be sent again. */
  get takenSource(): boolean {
    return this.started;
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.onStart();
      this.source.on('data', this.forward).once('end', this.ended).once('error', this.failed);
      // A stream that ended or failed before this read emits neither event again.
      if (this.source.errored) return void this.destroy(this.source.errored);
      if (this.source.readableEnded) return void this.push(null);
    }
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.started) {
      this.source.off('data', this.forward).off('end', this.ended).off('error', this.failed);
      // As undici did to the caller's stream: a request that failed mid-body ends its source (a
      // file's descriptor closed), with the error, which the view has reported already (so heard
      // here: with no listener left, it would be thrown). After a normal end this is a no-op.
      if (!this.source.destroyed) this.source.once('error', reported).destroy(error ?? undefined);
    }
    callback(error);
  }

  private readonly forward = (chunk: unknown): void => {
    // Backpressure: the source waits while undici's socket is full.
    if (!this.push(chunk)) this.source.pause();
  };

  private readonly ended = (): void => {
    this.push(null);
  };

  private readonly failed = (error: Error): void => {
    this.destroy(error);
  };
}

/** The 'error' listener of a source whose error the view passed on (see AttemptBody._destroy). */
function reported(): void {}
