import { baggageWithTrack, type CallScope, trackFromBaggage } from '@switchyard/core';
import { endRpcSpan, injectSpanContext, startClientAttemptSpan, tracingActive } from '@switchyard/tracing';
import { originOf } from './http-pools.js';

/** The span of one attempt (or nothing when tracing is off). */
export interface AttemptSpan {
  end(httpStatusCode: number | undefined, error?: unknown): void;
}

/**
 * Prepares one physical attempt's headers for tracing: with an active tracer, a CLIENT span per
 * attempt (so a retried request shows each try) and its context injected; without one, the
 * incoming call's propagation headers are forwarded as they are, so traces and baggage survive
 * the hop. `scope` is the call scope the call was made in (read once per call, not per attempt).
 */
export function traceAttempt(
  enabled: boolean,
  headers: Record<string, string | string[]>,
  scope: CallScope | undefined,
  info: { service: string; method: string; scheme: string; host: string; port: number; path: string; attempt: number },
): AttemptSpan | undefined {
  if (enabled && tracingActive()) {
    const span = startClientAttemptSpan({
      system: 'http',
      service: info.service,
      method: info.method,
      serverAddress: info.host,
      serverPort: info.port,
      url: urlOf(info.scheme, info.host, info.port, info.path),
      attempt: info.attempt,
    });
    injectSpanContext(headers as Record<string, string>, span);
    carryTrack(headers, scope?.track);
    return {
      end: (httpStatusCode, error) =>
        endRpcSpan(span, httpStatusCode === undefined ? { error } : { httpStatusCode, error }),
    };
  }
  const propagation = scope?.propagation;
  if (propagation) for (const [key, value] of Object.entries(propagation)) headers[key] = value;
  carryTrack(headers, scope?.track);
  return undefined;
}

/** A recently built `url.full`, by what it was built from. */
interface RecentUrl {
  scheme: string;
  host: string;
  port: number;
  path: string;
  url: string;
}
const recentUrls: RecentUrl[] = [];
let nextRecentUrl = 0;
const MAX_RECENT_URLS = 8;

/**
 * The attempt's full URL (`url.full`), the same string object as last time for the same origin and
 * path: a client calls the same few instances and paths over and over, and an identical string
 * saves building it and lets the span encoder match its attribute set by a pointer comparison.
 */
function urlOf(scheme: string, host: string, port: number, path: string): string {
  for (const recent of recentUrls) {
    if (recent.path === path && recent.port === port && recent.host === host && recent.scheme === scheme) {
      return recent.url;
    }
  }
  const entry = { scheme, host, port, path, url: `${originOf(scheme, host, port)}${path}` };
  if (recentUrls.length < MAX_RECENT_URLS) recentUrls.push(entry);
  else {
    recentUrls[nextRecentUrl] = entry;
    nextRecentUrl = (nextRecentUrl + 1) % MAX_RECENT_URLS;
  }
  return entry.url;
}

/** Makes sure the call scope's experiment track travels on, in the outgoing baggage. */
function carryTrack(headers: Record<string, string | string[]>, track: string | undefined): void {
  if (track === undefined) return;
  const baggage = headers.baggage as string | undefined;
  if (trackFromBaggage(baggage) !== track) headers.baggage = baggageWithTrack(baggage, track);
}
