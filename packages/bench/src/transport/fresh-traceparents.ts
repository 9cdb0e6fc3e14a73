/**
 * A source of W3C `traceparent` values, a new one per call, for the subjects that carry trace
 * context without tracing (`grpc-js-Nch-traceparent`, `undici-traceparent`). They measure what the
 * header alone costs on the wire: every propagating tracer sends one per call, with a span id (and,
 * for a new trace, a trace id) never sent before, so HTTP/2's header compression never gets to index
 * it and both ends parse a fresh value every time.
 *
 * The ids count up rather than being random: they are just as new to the transport, and drawing
 * random ones would charge the subject part of a tracer's own cost, which is what it is compared
 * against. Neither id is ever all zeros (invalid in W3C trace context): the counter starts at 1.
 */
export function freshTraceparents(): () => string {
  // A per-process trace id prefix, so two workers never send the same trace id.
  const prefix = (process.pid % 0x1_0000_0000).toString(16).padStart(16, '0');
  let counter = 0;
  return () => {
    counter++;
    const id = counter.toString(16).padStart(16, '0');
    return `00-${prefix}${id}-${id}-01`;
  };
}
