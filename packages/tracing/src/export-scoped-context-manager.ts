import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, isTracingSuppressed } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { exportTransportObserved } from './export-transport-observed.js';

type ContextManagementToken = ReturnType<AsyncLocalStorageContextManager['attach']>;

/**
 * OpenTelemetry's AsyncLocalStorage context manager, except that exporting spans does not leave
 * AsyncLocalStorage switched on in a process that never needed it.
 *
 * Why: on Node 20, the first `AsyncLocalStorage.run()` in a process installs async hooks, and from
 * then on every promise and every async resource pays for them. The batch span processor exports
 * inside `context.with(suppressTracing(…))` (so that an HTTP instrumentation does not trace the
 * exporter's own requests), and in a process that is only a client (nothing else ever enters a
 * context) that export alone would switch the hooks on for good: measured at ~17 µs more client
 * CPU per gRPC call at 64 concurrent calls (median of 8 runs), about a quarter of what tracing
 * cost there.
 *
 * So an export still runs inside its suppressed context, with AsyncLocalStorage on, and its async
 * continuations (the exporter's HTTP request, its retries) still see the suppression. But once
 * every export that was started that way has reported its result, and nothing else has entered a
 * context, AsyncLocalStorage is switched off again. The first `with()` or `attach()` that is not
 * an export (a server handler, user code, a bound callback) pins it on for the rest of the
 * process's life, exactly like the stock manager.
 *
 * When nothing can observe the exporter's requests (no instrumentation wraps what they go
 * through, no subscriber to Node's HTTP client channels: see exportTransportObserved), there is
 * nothing for the suppression to reach, so an export does not keep AsyncLocalStorage on past its
 * synchronous part: it is switched off as the export's `with()` returns, not when its HTTP request
 * ends (in a profile of the traced gRPC client at 64 calls, the hooks then ran ~7 % of the time and
 * cost ~2 µs per call). Once an export has been seen observed, every later one is treated so.
 *
 * When nothing can observe them, the batch processor's exports do not switch AsyncLocalStorage on at
 * all: the processor is told of with {@link scopeExports}, and the `with()` it enters around an
 * export makes its suppressed context the active one for that call's synchronous part only (what
 * the exporter does at once: encode, hand the bytes over), by a plain field. Entering and leaving
 * AsyncLocalStorage once per export still cost the traced clients a few µs per call: in
 * `pnpm bench:http`, a traced client at 10 % sampling that skipped it used ~4 µs less CPU per call
 * (58.5 against 62.3 µs, untraced 52.6; 10 rounds of fresh processes).
 *
 * Exports are recognised through {@link trackExports}: the exporter the span processor calls must
 * be the wrapper it returns. A `with()` counts as an export's scope only if its context suppresses
 * tracing and an export started directly inside it (not inside a nested `with()`). A `with()`
 * entered from inside an export's work (an HTTP instrumentation wrapping the exporter's request:
 * the context it enters or the one active when it does belongs to an export) is part of that
 * export and pins nothing; its work ends before the export reports.
 */
export class ExportScopedContextManager extends AsyncLocalStorageContextManager {
  /** Set for good by the first export that something could observe. */
  private exportsSeenObserved = false;
  /** Set for good by the first context entered for any reason but an export. */
  private pinned = false;
  /** Nesting depth of `with()` calls on the current stack. */
  private depth = 0;
  /** The depth of the `with()` an export started in (0: outside any), until that `with()` returns. */
  private exportStartedAtDepth = -1;
  /** Exports started and not yet finished. */
  private exportsInFlight = 0;
  /** Whether AsyncLocalStorage may be on because of an export (so switching it off is ours to do). */
  private onForExports = false;
  /** Contexts entered by exports and by work inside them (weakly held: they die with that work). */
  private readonly exportContexts = new WeakSet<Context>();
  /** Set while a processor told of by scopeExports is flushing a batch (synchronously). */
  private flushing = false;
  /** The active context for the synchronous part of an unobserved export (see with()). */
  private synchronousContext: Context | undefined = undefined;

  /**
   * @param exportsObserved Asked as each export starts: whether anything could trace the
   *   exporter's own requests, so its suppressed context must reach their async continuations.
   */
  constructor(private readonly exportsObserved: () => boolean = exportTransportObserved) {
    super();
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (this.pinned) return this.enter(context, fn, thisArg, ...args);
    if (this.flushing && isTracingSuppressed(context) && !this.exportsObservedNow()) {
      return this.withoutAsyncLocalStorage(context, fn, thisArg, ...args);
    }
    const insideExport = this.exportContexts.has(context) || this.exportContexts.has(this.active());
    // A suppressed context may be an export's scope: register it before fn runs, so that work
    // inside the export (synchronous or not) is recognised as such.
    if (insideExport || isTracingSuppressed(context)) this.exportContexts.add(context);
    const depth = ++this.depth;
    let result: ReturnType<F>;
    try {
      this.onForExports = true;
      result = this.enter(context, fn, thisArg, ...args);
    } finally {
      this.depth--;
      const wasExportScope = this.exportStartedAtDepth === depth && isTracingSuppressed(context);
      if (this.exportStartedAtDepth === depth) this.exportStartedAtDepth = -1;
      if (!wasExportScope && !insideExport) this.pinned = true;
      else this.switchOffIfIdle();
    }
    return result;
  }

  override active(): Context {
    return this.synchronousContext ?? super.active();
  }

  override attach(context: Context): ContextManagementToken {
    this.pinned = true;
    return super.attach(context);
  }

  /**
   * Wraps the exporter that the span processor will call, so that this manager knows when an
   * export starts (inside which `with()`) and when it has finished.
   */
  trackExports(exporter: SpanExporter): SpanExporter {
    return new TrackedSpanExporter(exporter, {
      started: () => {
        this.exportStartedAtDepth = this.depth;
        // Unobserved, an export needs AsyncLocalStorage only while its with() runs. Once seen
        // observed, always treated so: an exporter may keep the wrapped function it was given
        // (its `request`, say) after the instrumentation that wrapped it is disabled.
        if (!this.exportsObservedNow()) return false;
        this.exportsInFlight++;
        return true;
      },
      finished: () => {
        this.exportsInFlight--;
        this.switchOffIfIdle();
      },
    });
  }

  /**
   * Tells this manager that `processor` (a batch span processor of the SDK) exports from a
   * `with()` of its own, entered synchronously while it flushes a batch, so that that `with()` can
   * skip AsyncLocalStorage when nothing observes the exports. A processor without the expected
   * method (another SDK version) is left as it is: its exports go through AsyncLocalStorage, as before.
   */
  scopeExports(processor: SpanProcessor): void {
    const flushing = processor as unknown as { _flushOneBatch?: () => Promise<void> };
    const flushOneBatch = flushing._flushOneBatch;
    if (typeof flushOneBatch !== 'function') return;
    flushing._flushOneBatch = () => {
      const outer = this.flushing;
      this.flushing = true;
      try {
        return flushOneBatch.call(processor);
      } finally {
        this.flushing = outer;
      }
    };
  }

  /** Whether AsyncLocalStorage is (or may be) switched on by this manager: for tests and diagnostics. */
  asyncLocalStorageOn(): boolean {
    return this.pinned || this.onForExports;
  }

  /**
   * AsyncLocalStorage's `with()`. Inside an unobserved export's synchronous part, the context it
   * enters is the active one while `fn` runs, not the export's.
   */
  private enter<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const outer = this.synchronousContext;
    if (outer === undefined) return super.with(context, fn, thisArg, ...args);
    this.synchronousContext = undefined;
    try {
      return super.with(context, fn, thisArg, ...args);
    } finally {
      this.synchronousContext = outer;
    }
  }

  /** Whether anything could trace the exporter's requests, once seen so for good (see trackExports). */
  private exportsObservedNow(): boolean {
    this.exportsSeenObserved ||= this.exportsObserved();
    return this.exportsSeenObserved;
  }

  /**
   * An unobserved export's scope: its context is the active one while `fn` runs, and nothing of it
   * reaches async continuations, which nothing can observe. A `with()` nested inside goes the usual
   * way, as part of the export's work.
   */
  private withoutAsyncLocalStorage<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.exportContexts.add(context);
    const outer = this.synchronousContext;
    const depth = ++this.depth;
    this.synchronousContext = context;
    try {
      return fn.call(thisArg as ThisParameterType<F>, ...args);
    } finally {
      this.synchronousContext = outer;
      this.depth--;
      if (this.exportStartedAtDepth === depth) this.exportStartedAtDepth = -1;
    }
  }

  private switchOffIfIdle(): void {
    if (this.pinned || !this.onForExports || this.depth > 0 || this.exportsInFlight > 0) return;
    this.onForExports = false;
    // AsyncLocalStorage.disable(): getStore() is undefined (so active() is ROOT) until the next with().
    super.disable();
  }
}

interface ExportEvents {
  /** Returns whether the export's end must be reported (through `finished`). */
  started(): boolean;
  finished(): void;
}

/** A SpanExporter that reports when each export starts and when its result is in. */
class TrackedSpanExporter implements SpanExporter {
  constructor(
    private readonly exporter: SpanExporter,
    private readonly events: ExportEvents,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    // An export whose end need not be reported counts as finished from the start.
    let finished = !this.events.started();
    const finish = (result: ExportResult): void => {
      if (!finished) {
        finished = true;
        this.events.finished();
      }
      resultCallback(result);
    };
    try {
      this.exporter.export(spans, finish);
    } catch (error) {
      // An exporter that throws instead of reporting: still a finished export.
      if (!finished) {
        finished = true;
        this.events.finished();
      }
      throw error;
    }
  }

  forceFlush(): Promise<void> {
    return this.exporter.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }

  toString(): string {
    return String(this.exporter);
  }
}
