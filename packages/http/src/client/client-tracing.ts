import { baggageWithTrack, type CallScope, trackFromBaggage } from '@switchyard/core';
import {
  endRpcSpan,
  inheritedParent,
  injectSpanContext,
  injectTraceContext,
  startClientAttemptSpan,
  tracingActive,
} from '@switchyard/tracing';
import type { RecentUrls } from './recent-urls.js';

/** The span of one attempt (or nothing when tracing is off). */
export interface AttemptSpan {
  end(httpStatusCode: number | undefined, error?: unknown): void;
}

/**
 * Prepares one physical attempt's headers for tracing: with an active tracer, a CLIENT span per
 * attempt (so a retried request shows each try) and its context injected; without one, the
 * incoming call's propagation headers are forwarded as they are, so traces and baggage survive
 * the hop. `scope` is the call scope the call was made in (read once per call, not per attempt);
 * `urls` is the client's memo of the `url.full` strings it built.
 */
export function traceAttempt(
  enabled: boolean,
  headers: Record<string, string | string[]>,
  scope: CallScope | undefined,
  info: { service: string; method: string; scheme: string; host: string; port: number; path: string; attempt: number },
  urls: RecentUrls,
): AttemptSpan | undefined {
  if (enabled && tracingActive()) {
    const parent = inheritedParent(scope?.propagation);
    const span = startClientAttemptSpan({
      system: 'http',
      service: info.service,
      method: info.method,
      serverAddress: info.host,
      serverPort: info.port,
      url: urls.urlOf(info.scheme, info.host, info.port, info.path),
      attempt: info.attempt,
      ...(parent === undefined ? {} : { parent }),
    });
    injectSpanContext(headers as Record<string, string>, span, undefined, parent);
    carryTrack(headers, scope?.track);
    return {
      end: (httpStatusCode, error) =>
        endRpcSpan(span, httpStatusCode === undefined ? { error } : { httpStatusCode, error }),
    };
  }
  const propagation = scope?.propagation;
  if (propagation) for (const [key, value] of Object.entries(propagation)) headers[key] = value;
  // This client's spans are off but a tracer runs (a traced handler's server span is active): the
  // trace goes on through the next hop rather than ending here.
  else if (tracingActive()) injectTraceContext(headers as Record<string, string>);
  carryTrack(headers, scope?.track);
  return undefined;
}

/** Makes sure the call scope's experiment track travels on, in the outgoing baggage. */
function carryTrack(headers: Record<string, string | string[]>, track: string | undefined): void {
  if (track === undefined) return;
  const baggage = headers.baggage as string | undefined;
  if (trackFromBaggage(baggage) !== track) headers.baggage = baggageWithTrack(baggage, track);
}
