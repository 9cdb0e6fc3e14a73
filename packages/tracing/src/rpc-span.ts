import {
  type AttributeValue,
  type Attributes,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTimeDuration,
  isAttributeValue,
  isTimeInput,
  isTimeInputHrTime,
  millisToHrTime,
  sanitizeAttributes,
} from '@opentelemetry/core';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { SpanInfo } from './span-info.js';
import type { TracerParts } from './tracer-parts.js';

const NOT_ENDED: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NO_DURATION: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;
const EXCEPTION_EVENT = 'exception';
// Most RPC spans never get a link, an event or a status: they share these (frozen, so nothing
// can write to them) until the first one arrives, instead of three new objects per span.
const NO_LINKS = Object.freeze([]) as unknown as Link[];
const NO_EVENTS = Object.freeze([]) as unknown as TimedEvent[];
const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/**
 * The recording span the RPC helpers start on initTracing's provider (internal): the same contract
 * as the SDK's own span (the API's `Span` for whoever holds it, the SDK's `ReadableSpan` for
 * processors and exporters, the same limits, times, warnings and processor calls) with less work
 * per span, which matters at tens of thousands of RPCs a second:
 *
 * - the start attributes are adopted, not copied, when they are all valid primitives within the
 *   count limit and no value-length limit is set (the helpers build a fresh object per span anyway);
 * - the start and end times are computed without intermediate arrays, and no `Date.now()` at end;
 * - `duration` is worked out when first read (at end already when the end time was given);
 * - sampling, ids and processors come from the tracer's parts directly, no tracer metrics.
 *
 * Times follow the SDK exactly: the start is the wall clock in milliseconds (`Date.now()`), the end
 * is the start plus `performance.now()` elapsed, so durations keep sub-microsecond precision.
 */
export class RpcSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  attributes: Attributes = {};
  links: Link[] = NO_LINKS;
  events: TimedEvent[] = NO_EVENTS;
  status: SpanStatus = UNSET_STATUS;
  readonly startTime: HrTime;
  endTime: HrTime = NOT_ENDED;
  ended = false;
  readonly resource: ReadableSpan['resource'];
  readonly instrumentationScope: ReadableSpan['instrumentationScope'];
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  /** What endRpcSpan needs (see span-info.ts). */
  readonly rpcInfo: SpanInfo;

  private readonly spanContextValue: SpanContext;
  private readonly parts: TracerParts;
  private readonly startMonotonicMs: number;
  private attributeCount = 0;
  private durationValue: HrTime | undefined = undefined;

  constructor(
    parts: TracerParts,
    spanContext: SpanContext,
    name: string,
    kind: SpanKind,
    parent: SpanContext | undefined,
    info: SpanInfo,
  ) {
    this.parts = parts;
    this.rpcInfo = info;
    this.spanContextValue = spanContext;
    this.name = name;
    this.kind = kind;
    this.parentSpanContext = parent;
    this.resource = parts.resource;
    this.instrumentationScope = parts.scope;
    const wallMs = Date.now();
    this.startMonotonicMs = performance.now();
    // millisToHrTime(wallMs), inline: wallMs is a whole number of milliseconds.
    const seconds = Math.trunc(wallMs / 1000);
    this.startTime = [seconds, (wallMs - seconds * 1000) * 1e6];
  }

  /**
   * Gives a new span its start attributes: takes `attributes` as the span's own object when every
   * value is a primitive, they fit the count limit and no value-length limit is set (the RPC helpers'
   * case with the default limits); otherwise sets them
   * one by one, as the SDK does (which also copies arrays, so a caller's array cannot change later).
   */
  adoptAttributes(attributes: Attributes): void {
    const { attributeCountLimit, attributeValueLengthLimit } = this.parts.limits;
    let count = 0;
    let adoptable = attributeValueLengthLimit === Number.POSITIVE_INFINITY;
    for (const key in attributes) {
      const type = typeof attributes[key];
      if (
        (type !== 'string' && type !== 'number' && type !== 'boolean') ||
        key.length === 0 ||
        !Object.hasOwn(attributes, key)
      ) {
        adoptable = false;
        break;
      }
      count++;
    }
    if (adoptable && (attributeCountLimit === undefined || count <= attributeCountLimit)) {
      this.attributes = attributes;
      this.attributeCount = count;
    } else {
      this.setAttributes(attributes);
    }
  }

  /**
   * Its context is known valid (ids from a generator that only makes valid ones, any parent
   * checked), so injecting it can skip the API's regular-expression checks.
   */
  get contextValid(): boolean {
    return this.parts.idsAlwaysValid;
  }

  spanContext(): SpanContext {
    return this.spanContextValue;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this.endedWarning()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const isNewKey = !Object.hasOwn(this.attributes, key);
    const limit = this.parts.limits.attributeCountLimit;
    if (limit !== undefined && isNewKey && this.attributeCount >= limit) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = this.truncated(value);
    if (isNewKey) this.attributeCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (Object.hasOwn(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.endedWarning()) return this;
    const { eventCountLimit, attributePerEventCountLimit } = this.parts.limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this.droppedEventsCount++;
      return this;
    }
    if (this.events === NO_EVENTS) this.events = [];
    if (dropOldestIfFull(this.events, eventCountLimit, this.droppedEventsCount === 0, 'events')) {
      this.droppedEventsCount++;
    }
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else {
      attributes = attributesOrTime;
    }
    const limited = this.limitedAttributes(sanitizeAttributes(attributes), attributePerEventCountLimit);
    this.events.push({
      name,
      attributes: limited.attributes,
      time: this.timeOf(time),
      droppedAttributesCount: limited.dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.endedWarning()) return this;
    const { linkCountLimit, attributePerLinkCountLimit } = this.parts.limits;
    if (linkCountLimit === 0) {
      this.droppedLinksCount++;
      return this;
    }
    if (this.links === NO_LINKS) this.links = [];
    if (dropOldestIfFull(this.links, linkCountLimit, this.droppedLinksCount === 0, 'links')) {
      this.droppedLinksCount++;
    }
    const limited = this.limitedAttributes(sanitizeAttributes(link.attributes), attributePerLinkCountLimit);
    const kept: Link = { context: link.context };
    if (limited.count > 0) kept.attributes = limited.attributes;
    if (limited.dropped > 0) kept.droppedAttributesCount = limited.dropped;
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.endedWarning()) return this;
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) {
        diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
      }
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (!this.endedWarning()) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.endedWarning()) {
      const { traceId, spanId } = this.spanContextValue;
      diag.error(`${this.name} ${traceId}-${spanId} - You can only call end() on a span once.`);
      return;
    }
    let end = endTime === undefined ? this.nowTime() : this.timeOf(endTime);
    if (end[0] < this.startTime[0] || (end[0] === this.startTime[0] && end[1] < this.startTime[1])) {
      diag.warn(
        'Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.',
        this.startTime,
        end,
      );
      end = this.startTime.slice() as HrTime;
      this.durationValue = [0, 0];
    } else if (endTime !== undefined) {
      // Now, as the SDK does: the caller still holds the array it passed.
      this.durationValue = hrTimeDuration(this.startTime, end);
    }
    this.endTime = end;
    if (this.droppedEventsCount > 0) {
      diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    }
    if (this.droppedLinksCount > 0) {
      diag.warn(`Dropped ${this.droppedLinksCount} links because linkCountLimit reached`);
    }
    const processor = this.parts.processor;
    processor.onEnding?.(this);
    this.ended = true;
    processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) {
      this.addEvent(EXCEPTION_EVENT, attributes, time);
    } else {
      diag.warn(`Failed to record an exception ${exception}`);
    }
  }

  /** `[-1, -1]` until `end()` sets the end time (so processors' `onEnding` sees it), as the SDK's. */
  get duration(): HrTime {
    if (this.endTime === NOT_ENDED) return NO_DURATION;
    this.durationValue ??= hrTimeDuration(this.startTime, this.endTime);
    return this.durationValue;
  }

  /**
   * The sampler's attributes, merged as the SDK merges them into the start attributes: they win,
   * and one it gives as undefined or null removes the start attribute of that name.
   */
  mergeSamplerAttributes(attributes: Attributes): void {
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      const value = attributes[key];
      if (value == null) {
        if (Object.hasOwn(this.attributes, key)) {
          delete this.attributes[key];
          this.attributeCount--;
        }
      } else {
        this.setAttribute(key, value);
      }
    }
  }

  /** What `console.log(span)` shows: the span's data, not the tracer's parts it holds. */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    const { name, kind, parentSpanContext, status, startTime, endTime, ended, attributes, events, links } = this;
    return {
      name,
      kind,
      spanContext: this.spanContextValue,
      parentSpanContext,
      status,
      startTime,
      endTime,
      duration: this.duration,
      ended,
      attributes,
      events,
      links,
      instrumentationScope: this.instrumentationScope,
    };
  }

  /** The SDK's reading of a time input: a `performance.now()` value, epoch ms, a Date or an HrTime. */
  private timeOf(input: TimeInput | undefined): HrTime {
    if (typeof input === 'number') {
      if (input <= performance.now()) {
        // hrTime(input + offset), where offset = wall start − (monotonic start + time origin).
        // The start's wall-clock ms, exact: startTime holds whole milliseconds.
        const startWallMs = this.startTime[0] * 1000 + this.startTime[1] / 1e6;
        const offset = startWallMs - (this.startMonotonicMs + performance.timeOrigin);
        return addHrTimes(millisToHrTime(performance.timeOrigin), millisToHrTime(input + offset));
      }
      return millisToHrTime(input);
    }
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input as HrTime;
    return this.nowTime();
  }

  /**
   * Now, as the SDK reads it for a span without a given start time: the start plus the monotonic
   * time elapsed (`addHrTimes(startTime, millisToHrTime(elapsed))`, without the two arrays).
   */
  private nowTime(): HrTime {
    const elapsedMs = performance.now() - this.startMonotonicMs;
    let seconds = this.startTime[0] + Math.trunc(elapsedMs / 1000);
    let nanos = this.startTime[1] + Math.round((elapsedMs % 1000) * 1e6);
    if (nanos >= 1e9) {
      nanos -= 1e9;
      seconds += 1;
    }
    return [seconds, nanos];
  }

  private truncated(value: AttributeValue): AttributeValue {
    const limit = this.parts.limits.attributeValueLengthLimit ?? 0;
    // Unlimited: strings as they are, arrays copied (the SDK maps them even then).
    if (limit === Number.POSITIVE_INFINITY) return Array.isArray(value) ? (value.slice() as AttributeValue) : value;
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`);
      return value;
    }
    if (typeof value === 'string') return value.length <= limit ? value : value.substring(0, limit);
    if (Array.isArray(value)) {
      return value.map((item) =>
        typeof item === 'string' && item.length > limit ? item.substring(0, limit) : item,
      ) as AttributeValue;
    }
    return value;
  }

  private limitedAttributes(
    sanitized: Attributes,
    limit: number | undefined,
  ): { attributes: Attributes; count: number; dropped: number } {
    const attributes: Attributes = {};
    let count = 0;
    let dropped = 0;
    for (const key in sanitized) {
      if (!Object.hasOwn(sanitized, key)) continue;
      if (limit !== undefined && count >= limit) {
        dropped++;
        continue;
      }
      attributes[key] = this.truncated(sanitized[key] as AttributeValue);
      count++;
    }
    return { attributes, count, dropped };
  }

  /** Whether the span has ended, warning as the SDK does when something tries to change it then. */
  private endedWarning(): boolean {
    if (this.ended) {
      const { traceId, spanId } = this.spanContextValue;
      const where = `Span {traceId: ${traceId}, spanId: ${spanId}}`;
      diag.warn(`Cannot execute the operation on ended ${where}`, new Error(`Operation attempted on ended ${where}`));
    }
    return this.ended;
  }
}

/**
 * Makes room under `limit` by dropping the oldest entry of a full `list`, as the SDK does for events
 * and links (with its debug message on the first drop); whether it dropped one.
 */
function dropOldestIfFull<T>(list: T[], limit: number | undefined, firstDrop: boolean, what: string): boolean {
  if (limit === undefined || list.length < limit) return false;
  if (firstDrop) diag.debug(`Dropping extra ${what}.`);
  list.shift();
  return true;
}
