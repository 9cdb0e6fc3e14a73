/** The W3C baggage key that carries a request's experiment track across hops. */
export const TRACK_BAGGAGE_KEY = 'switchyard.track';

const TRACK_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The track named in a W3C `baggage` header (`switchyard.track=b`), if any. Malformed values are
 * ignored: a header from outside must not steer traffic to arbitrary metadata.
 */
export function trackFromBaggage(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value?.includes(TRACK_BAGGAGE_KEY)) return undefined;
  for (const member of value.split(',')) {
    const [pair] = member.split(';');
    const separator = pair?.indexOf('=') ?? -1;
    if (separator < 0 || pair?.slice(0, separator).trim() !== TRACK_BAGGAGE_KEY) continue;
    const track = decodePercent(pair.slice(separator + 1).trim());
    return track !== undefined && TRACK_PATTERN.test(track) ? track : undefined;
  }
  return undefined;
}

/** `decodeURIComponent`, or undefined for a malformed escape (`%`, `%zz`), which it throws on. */
function decodePercent(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/**
 * A `baggage` header that carries `track` (replacing any track already in `header`; several header
 * values, as outgoing HTTP headers may hold, are joined into one list).
 */
export function baggageWithTrack(header: string | readonly string[] | undefined, track: string): string {
  const kept = (Array.isArray(header) ? header.join(',') : ((header as string | undefined) ?? ''))
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '' && member.split('=')[0]?.trim() !== TRACK_BAGGAGE_KEY);
  // The track goes first: a receiver over the W3C limits (64 members, 8192 bytes) drops members
  // from the end, and OpenTelemetry's parser stops at the first one past 8192 bytes, so a track
  // appended to a large baggage was lost at the next hop.
  return [`${TRACK_BAGGAGE_KEY}=${encodeURIComponent(track)}`, ...kept].join(',');
}
