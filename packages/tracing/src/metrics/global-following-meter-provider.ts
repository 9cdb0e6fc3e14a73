import {
  type Attributes,
  type BatchObservableCallback,
  type BatchObservableResult,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterOptions,
  type MeterProvider,
  type MetricOptions,
  metrics,
  type Observable,
  type ObservableCallback,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';

/** Meters handed out, so that initMetrics can move them to its provider at once (see rebindFollowingMeters). */
const handedOut = new Set<WeakRef<FollowingMeter>>();

/**
 * A MeterProvider that records into whichever MeterProvider is global when a value is recorded,
 * for components that take their provider once, when they are built (the SDK's batch span
 * processor and the OTLP exporters, whose self-observability metrics `initTracing` wires here).
 * OpenTelemetry's metrics API has no proxy: given the global provider itself, a component built
 * before `initMetrics()` recorded into the no-op one for good.
 *
 * When the global provider changes, every instrument is made again on the new one, and what it
 * had recorded is carried over: counters and up-down counters add their totals per attribute set
 * (so a queue's capacity, added once at start, and the spans exported before metrics were set up
 * still show), gauges their last values, and observable callbacks move. Histogram samples taken
 * before are not carried over. Components record per batch, so the cost per recording (a global
 * lookup and a map update) does not matter.
 */
export class GlobalFollowingMeterProvider implements MeterProvider {
  private readonly meters: { meter: FollowingMeter; reference: WeakRef<FollowingMeter> }[] = [];

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    const meter = new FollowingMeter(name, version, options);
    const reference = new WeakRef(meter);
    handedOut.add(reference);
    this.meters.push({ meter, reference });
    return meter;
  }

  /**
   * Stops following (the components recording here have shut down): the meters stay on the
   * provider they are on, and a provider registered later never sees the totals of components
   * that are gone.
   */
  close(): void {
    for (const { meter, reference } of this.meters.splice(0)) {
      handedOut.delete(reference);
      meter.closed = true;
    }
  }
}

/**
 * Moves every meter handed out to the global provider now (initMetrics calls it once its provider
 * is registered, and once it is let go of), rather than at each meter's next recording: observable
 * instruments are read by the provider and never record on their own.
 */
export function rebindFollowingMeters(): void {
  for (const reference of handedOut) {
    const meter = reference.deref();
    if (meter === undefined) handedOut.delete(reference);
    else meter.current();
  }
}

interface Rebindable {
  rebind(meter: Meter): void;
}

class FollowingMeter implements Meter {
  /** Set by GlobalFollowingMeterProvider.close(): the global provider is no longer followed. */
  closed = false;
  private provider: MeterProvider | undefined;
  private meter!: Meter;
  private readonly instruments: Rebindable[] = [];
  private readonly batchCallbacks: { callback: BatchObservableCallback; observables: Observable[] }[] = [];
  private readonly batchAdapters = new Map<BatchObservableCallback, BatchObservableCallback>();

  constructor(
    private readonly name: string,
    private readonly version: string | undefined,
    private readonly options: MeterOptions | undefined,
  ) {
    this.current();
  }

  /** The meter of the global provider, made again (with every instrument) if that changed. */
  current(): Meter {
    const global = metrics.getMeterProvider();
    if (global !== this.provider && !this.closed) {
      const previous = this.meter as Meter | undefined;
      // Taken before the instruments move: the previous meter knows the batch callbacks by these.
      const previousBatches = this.batchCallbacks.map(({ callback, observables }) => ({
        adapter: this.batchAdapters.get(callback),
        targets: observables.map(targetOf),
      }));
      this.provider = global;
      this.meter = global.getMeter(this.name, this.version, this.options);
      for (const instrument of this.instruments) instrument.rebind(this.meter);
      for (const { adapter, targets } of previousBatches) {
        if (adapter !== undefined) previous?.removeBatchObservableCallback(adapter, targets);
      }
      for (const { callback, observables } of this.batchCallbacks) this.addBatchAdapter(callback, observables);
    }
    return this.meter;
  }

  private track<T extends Rebindable>(instrument: T): T {
    this.instruments.push(instrument);
    instrument.rebind(this.meter);
    return instrument;
  }

  private sync(carry: Carry, open: (meter: Meter) => Write): FollowingSync {
    return this.track(new FollowingSync(this, carry, open));
  }

  private observable(create: (meter: Meter) => Observable): FollowingObservable {
    return this.track(new FollowingObservable(create));
  }

  createCounter(name: string, options?: MetricOptions): Counter {
    return this.sync(
      'total',
      adding((meter) => meter.createCounter(name, options)),
    );
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return this.sync(
      'total',
      adding((meter) => meter.createUpDownCounter(name, options)),
    );
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return this.sync(
      'none',
      recording((meter) => meter.createHistogram(name, options)),
    );
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return this.sync(
      'last',
      recording((meter) => meter.createGauge(name, options)),
    );
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    return this.observable((meter) => meter.createObservableCounter(name, options));
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    return this.observable((meter) => meter.createObservableUpDownCounter(name, options));
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    return this.observable((meter) => meter.createObservableGauge(name, options));
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.batchCallbacks.push({ callback, observables });
    this.addBatchAdapter(callback, observables);
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const index = this.batchCallbacks.findIndex((entry) => entry.callback === callback);
    if (index >= 0) this.batchCallbacks.splice(index, 1);
    const adapter = this.batchAdapters.get(callback);
    this.batchAdapters.delete(callback);
    if (adapter !== undefined) this.meter.removeBatchObservableCallback(adapter, observables.map(targetOf));
  }

  /** Registers `callback` on the current meter, observing the current targets of `observables`. */
  private addBatchAdapter(callback: BatchObservableCallback, observables: Observable[]): void {
    const adapter: BatchObservableCallback = (result: BatchObservableResult) =>
      callback({
        observe: (observable, value, attributes) => result.observe(targetOf(observable), value, attributes),
      });
    this.batchAdapters.set(callback, adapter);
    this.meter.addBatchObservableCallback(adapter, observables.map(targetOf));
  }
}

/** What a following observable stands for on the current provider (others are passed as they are). */
function targetOf(observable: Observable): Observable {
  return observable instanceof FollowingObservable ? observable.target : observable;
}

/** A key for an attribute set: the SDK components reuse their attribute objects, so it is cached. */
const keys = new WeakMap<Attributes, string>();
function keyOf(attributes: Attributes | undefined): string {
  if (attributes === undefined) return '';
  let key = keys.get(attributes);
  if (key === undefined) {
    key = JSON.stringify(attributes);
    keys.set(attributes, key);
  }
  return key;
}

/** Records one value into an instrument of the current provider. */
type Write = (value: number, attributes?: Attributes) => void;

/**
 * What a synchronous instrument carries over to a new provider, per attribute set: its `total`
 * (counters, up-down counters), its `last` value (gauges), or `none` (histograms).
 */
type Carry = 'total' | 'last' | 'none';

/** How to write to the instrument `create` makes: through `add` (counters) or `record`. */
function adding(create: (meter: Meter) => Counter): (meter: Meter) => Write {
  return (meter) => {
    const instrument = create(meter);
    return (value, attributes) => instrument.add(value, attributes);
  };
}
function recording(create: (meter: Meter) => Histogram | Gauge): (meter: Meter) => Write {
  return (meter) => {
    const instrument = create(meter);
    return (value, attributes) => instrument.record(value, attributes);
  };
}

/** A counter, up-down counter, gauge or histogram that follows the global provider. */
class FollowingSync implements Counter, UpDownCounter, Gauge, Histogram, Rebindable {
  private write!: Write;
  private readonly carried = new Map<string, { attributes: Attributes | undefined; value: number }>();

  constructor(
    private readonly meter: FollowingMeter,
    private readonly carry: Carry,
    private readonly open: (meter: Meter) => Write,
  ) {}

  rebind(meter: Meter): void {
    this.write = this.open(meter);
    for (const { attributes, value } of this.carried.values()) this.write(value, attributes);
  }

  add(value: number, attributes?: Attributes): void {
    this.record(value, attributes);
  }

  record(value: number, attributes?: Attributes): void {
    this.meter.current();
    if (this.carry !== 'none') {
      const key = keyOf(attributes);
      const entry = this.carried.get(key);
      if (entry === undefined) this.carried.set(key, { attributes, value });
      else entry.value = this.carry === 'total' ? entry.value + value : value;
    }
    this.write(value, attributes);
  }
}

/** An observable instrument: its callbacks move to the new provider's instrument. */
class FollowingObservable implements ObservableCounter, ObservableUpDownCounter, ObservableGauge, Rebindable {
  target!: Observable;
  private readonly callbacks = new Set<ObservableCallback>();

  constructor(private readonly create: (meter: Meter) => Observable) {}

  rebind(meter: Meter): void {
    const previous = this.target as Observable | undefined;
    for (const callback of this.callbacks) previous?.removeCallback(callback);
    this.target = this.create(meter);
    for (const callback of this.callbacks) this.target.addCallback(callback);
  }

  addCallback(callback: ObservableCallback): void {
    this.callbacks.add(callback);
    this.target.addCallback(callback);
  }

  removeCallback(callback: ObservableCallback): void {
    this.callbacks.delete(callback);
    this.target.removeCallback(callback);
  }
}
