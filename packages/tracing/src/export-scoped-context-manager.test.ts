import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExportScopedContextManager } from './export-scoped-context-manager.js';

/** An exporter that answers after a few milliseconds and notes what its async continuation saw. */
class SlowProbeExporter implements SpanExporter {
  readonly suppressedAfterAwait: boolean[] = [];
  readonly exported: string[] = [];

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    void (async () => {
      await sleep(5);
      this.suppressedAfterAwait.push(isTracingSuppressed(context.active()));
      this.exported.push(...spans.map((span) => span.name));
      resultCallback({ code: ExportResultCode.SUCCESS });
    })();
  }

  async shutdown(): Promise<void> {}
}

const USER_KEY = createContextKey('user');

let provider: BasicTracerProvider | undefined;
afterEach(async () => {
  await provider?.shutdown();
  provider = undefined;
  context.disable();
});

// Most tests run as if an HTTP instrumentation could see the exporter's requests (the suppression
// must then reach them); the unobserved case has its own tests.
const OBSERVED = () => true;
const UNOBSERVED = () => false;

function setUp(
  maxExportBatchSize = 512,
  exportsObserved = OBSERVED,
  /** Tell the manager of the processor, as initTracing does (scopeExports). */
  scoped = false,
): { manager: ExportScopedContextManager; probe: SlowProbeExporter } {
  const manager = new ExportScopedContextManager(exportsObserved);
  context.setGlobalContextManager(manager);
  const probe = new SlowProbeExporter();
  const processor = new BatchSpanProcessor(manager.trackExports(probe), { maxExportBatchSize });
  if (scoped) manager.scopeExports(processor);
  provider = new BasicTracerProvider({ spanProcessors: [processor] });
  return { manager, probe };
}

function endOneSpan(name: string): void {
  provider!.getTracer('test').startSpan(name).end();
}

describe('ExportScopedContextManager', () => {
  it('exports inside a suppressed context that reaches the async continuation, then switches AsyncLocalStorage off', async () => {
    const { manager, probe } = setUp();
    expect(manager.asyncLocalStorageOn()).toBe(false);
    endOneSpan('first');
    await provider!.forceFlush();
    endOneSpan('second');
    await provider!.forceFlush();

    expect(probe.exported).toEqual(['first', 'second']);
    // The exporter's own continuation (where an OTLP exporter sends its HTTP request) still saw
    // the suppression: an HTTP instrumentation would not trace the export.
    expect(probe.suppressedAfterAwait).toEqual([true, true]);
    expect(manager.asyncLocalStorageOn()).toBe(false);
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('keeps AsyncLocalStorage on for good once anything else enters a context', async () => {
    const { manager, probe } = setUp();
    endOneSpan('before');
    await provider!.forceFlush();
    expect(manager.asyncLocalStorageOn()).toBe(false);

    const userContext = ROOT_CONTEXT.setValue(USER_KEY, 'mine');
    const seen: unknown[] = [];
    const pending = context.with(userContext, async () => {
      seen.push(context.active().getValue(USER_KEY));
      // An export starts and finishes while this context's continuation is still pending.
      endOneSpan('during');
      await provider!.forceFlush();
      await sleep(5);
      seen.push(context.active().getValue(USER_KEY));
    });
    await pending;

    expect(seen).toEqual(['mine', 'mine']);
    expect(probe.exported).toEqual(['before', 'during']);
    expect(manager.asyncLocalStorageOn()).toBe(true);
  });

  it('does not take a caller’s context for an export scope when an export starts nested inside it', async () => {
    // maxExportBatchSize 1: ending a span starts an export synchronously, inside the caller's with().
    const { manager, probe } = setUp(1);
    const userContext = ROOT_CONTEXT.setValue(USER_KEY, 'outer');
    let after: unknown;
    await context.with(userContext, async () => {
      endOneSpan('nested');
      await sleep(20);
      after = context.active().getValue(USER_KEY);
    });
    await provider!.forceFlush();

    expect(probe.exported).toEqual(['nested']);
    expect(probe.suppressedAfterAwait).toEqual([true]);
    expect(after).toBe('outer');
    expect(manager.asyncLocalStorageOn()).toBe(true);
  });

  it('treats contexts entered inside an export (as an HTTP instrumentation does) as part of it', async () => {
    const manager = new ExportScopedContextManager(OBSERVED);
    context.setGlobalContextManager(manager);
    const seen: boolean[] = [];
    // Like instrumentation-http around the exporter's request: after an await, a with() of a
    // context derived from the export's, and a callback bound to the export's context.
    const instrumented: SpanExporter = {
      export: (_spans, resultCallback) => {
        void (async () => {
          await sleep(2);
          const exportContext = context.active();
          const requestContext = exportContext.setValue(USER_KEY, 'request');
          const onResponse = context.bind(exportContext, () => seen.push(isTracingSuppressed(context.active())));
          await context.with(requestContext, async () => {
            await sleep(2);
            seen.push(isTracingSuppressed(context.active()));
          });
          onResponse();
          resultCallback({ code: ExportResultCode.SUCCESS });
        })();
      },
      shutdown: async () => {},
    };
    provider = new BasicTracerProvider({
      spanProcessors: [new BatchSpanProcessor(manager.trackExports(instrumented))],
    });
    for (let round = 0; round < 3; round++) {
      endOneSpan(`span ${round}`);
      await provider.forceFlush();
    }
    expect(seen).toEqual([true, true, true, true, true, true]);
    expect(manager.asyncLocalStorageOn()).toBe(false);
  });

  it('switches AsyncLocalStorage off as an unobserved export’s with() returns, not when the export ends', async () => {
    const { manager, probe } = setUp(512, UNOBSERVED);
    const onDuringExport: boolean[] = [];
    const original = probe.export.bind(probe);
    probe.export = (spans, resultCallback) => {
      original(spans, resultCallback);
      // Still inside the processor's suppressed with(): AsyncLocalStorage is on here…
      onDuringExport.push(manager.asyncLocalStorageOn());
      void Promise.resolve().then(() => onDuringExport.push(manager.asyncLocalStorageOn()));
    };
    endOneSpan('first');
    await provider!.forceFlush();
    endOneSpan('second');
    await provider!.forceFlush();

    expect(probe.exported).toEqual(['first', 'second']);
    // …and off from the first continuation on, while the export itself takes 5 ms more.
    expect(onDuringExport).toEqual([true, false, true, false]);
    // So the continuation no longer sees the suppression, which nothing was there to read.
    expect(probe.suppressedAfterAwait).toEqual([false, false]);
    expect(manager.asyncLocalStorageOn()).toBe(false);
  });

  it('asks at each export whether it is observed, and once it was, keeps treating exports so', async () => {
    let observed = false;
    const { manager, probe } = setUp(512, () => observed);
    endOneSpan('before');
    await provider!.forceFlush();
    // An instrumentation installed later is honoured from the next export on…
    observed = true;
    endOneSpan('after');
    await provider!.forceFlush();
    // …and disabling it changes nothing: the exporter may still hold the function it wrapped.
    observed = false;
    endOneSpan('later');
    await provider!.forceFlush();

    expect(probe.suppressedAfterAwait).toEqual([false, true, true]);
    expect(manager.asyncLocalStorageOn()).toBe(false);
  });

  describe("a processor's own exports (scopeExports), unobserved", () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('never enter AsyncLocalStorage: the export scope is active while export() runs, and only then', async () => {
      const run = vi.spyOn(AsyncLocalStorage.prototype, 'run');
      const { manager, probe } = setUp(512, UNOBSERVED, true);
      const seen: { suppressed: boolean; on: boolean }[] = [];
      const original = probe.export.bind(probe);
      probe.export = (spans, resultCallback) => {
        seen.push({ suppressed: isTracingSuppressed(context.active()), on: manager.asyncLocalStorageOn() });
        original(spans, resultCallback);
      };
      endOneSpan('first');
      await provider!.forceFlush();
      endOneSpan('second');
      await provider!.forceFlush();

      expect(probe.exported).toEqual(['first', 'second']);
      expect(seen).toEqual([
        { suppressed: true, on: false },
        { suppressed: true, on: false },
      ]);
      expect(run).not.toHaveBeenCalled();
      // Nothing could observe the continuation, and nothing of the scope reached it.
      expect(probe.suppressedAfterAwait).toEqual([false, false]);
      expect(context.active()).toBe(ROOT_CONTEXT);
      expect(manager.asyncLocalStorageOn()).toBe(false);
    });

    it('a with() nested inside one has its own context, and the export scope is back after it', async () => {
      const { probe } = setUp(512, UNOBSERVED, true);
      const seen: unknown[] = [];
      const original = probe.export.bind(probe);
      probe.export = (spans, resultCallback) => {
        context.with(ROOT_CONTEXT.setValue(USER_KEY, 'inner'), () => {
          seen.push(context.active().getValue(USER_KEY), isTracingSuppressed(context.active()));
        });
        seen.push(isTracingSuppressed(context.active()));
        original(spans, resultCallback);
      };
      endOneSpan('first');
      await provider!.forceFlush();
      expect(seen).toEqual(['inner', false, true]);
    });

    it('once observed, they go through AsyncLocalStorage again, the suppression reaching their continuations', async () => {
      let observed = false;
      const { probe } = setUp(512, () => observed, true);
      endOneSpan('before');
      await provider!.forceFlush();
      observed = true;
      endOneSpan('after');
      await provider!.forceFlush();
      expect(probe.suppressedAfterAwait).toEqual([false, true]);
    });

    it("relies on a method the SDK's batch processor has (an upgrade that renames it fails here)", () => {
      const { manager } = setUp(512, UNOBSERVED);
      const processor = new BatchSpanProcessor(manager.trackExports(new SlowProbeExporter()));
      const before = (processor as unknown as { _flushOneBatch: unknown })._flushOneBatch;
      expect(typeof before).toBe('function');
      manager.scopeExports(processor);
      expect((processor as unknown as { _flushOneBatch: unknown })._flushOneBatch).not.toBe(before);
    });

    it('a processor without the expected method is left as it is', () => {
      const manager = new ExportScopedContextManager(UNOBSERVED);
      const processor = { onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} };
      manager.scopeExports(processor);
      expect(Object.keys(processor)).toEqual(['onStart', 'onEnd', 'forceFlush', 'shutdown']);
    });
  });

  it('keeps AsyncLocalStorage on after attach()', () => {
    const { manager } = setUp();
    const token = manager.attach(ROOT_CONTEXT.setValue(USER_KEY, 'attached'));
    expect(context.active().getValue(USER_KEY)).toBe('attached');
    token.dispose();
    expect(manager.asyncLocalStorageOn()).toBe(true);
  });

  it('counts an exporter that throws as finished, and passes the error on', async () => {
    const manager = new ExportScopedContextManager(OBSERVED);
    const failing: SpanExporter = {
      export: () => {
        throw new Error('exporter broke');
      },
      shutdown: async () => {},
    };
    const tracked = manager.trackExports(failing);
    expect(() => manager.with(ROOT_CONTEXT, () => tracked.export([], () => {}))).toThrow('exporter broke');
    // Not a suppressed context, so that with() pinned the manager; the export count is back to 0.
    expect(manager.asyncLocalStorageOn()).toBe(true);
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
