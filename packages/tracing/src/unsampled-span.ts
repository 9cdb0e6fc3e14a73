import type { Span, SpanContext } from '@opentelemetry/api';

/**
 * The span the RPC helpers return when the sampler decides not to record (internal): what the
 * API's `trace.wrapSpanContext` returns (every method does nothing, `isRecording()` is false, the
 * context goes on to the next hop), plus whether that context is known valid.
 *
 * Why its own class: with sampling below 100 %, most calls get one of these, and injecting its
 * `traceparent` checked both ids with the API's regular expressions on every call (the largest
 * single cost of an unsampled client span in a profile). Ids from the pooled generator, under a
 * parent already checked, need no second look.
 */
export class UnsampledSpan implements Span {
  constructor(
    private readonly context: SpanContext,
    /** The context's ids are known valid (see {@link RpcSpan.contextValid}). */
    readonly contextValid: boolean,
  ) {}

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(): this {
    return this;
  }

  setAttributes(): this {
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  setStatus(): this {
    return this;
  }

  updateName(): this {
    return this;
  }

  end(): void {}

  isRecording(): boolean {
    return false;
  }

  recordException(): void {}
}
