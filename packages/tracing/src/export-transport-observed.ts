import { hasSubscribers } from 'node:diagnostics_channel';
// Default imports: the modules' own export objects, which instrumentations patch in place (an
// ESM namespace of a builtin is a snapshot until syncBuiltinESMExports() runs).
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

/** Node's channels for outgoing HTTP requests, which diagnostics-channel based instrumentations subscribe to. */
const CLIENT_CHANNELS = ['http.client.request.created', 'http.client.request.start'];

function wrapped(fn: unknown): boolean {
  // shimmer, which every OpenTelemetry instrumentation patches modules with, marks its wrappers.
  return typeof fn === 'function' && (fn as { __wrapped?: unknown }).__wrapped === true;
}

/**
 * Whether anything could trace the OTLP exporter's own requests: a function they go through
 * wrapped by an instrumentation (`http`/`https` `request` and `get` by
 * `@opentelemetry/instrumentation-http` and the agents built on it; `net.Socket#connect`,
 * `tls.connect`, `dns.lookup` by the net and dns instrumentations), or a subscriber to Node's HTTP
 * client diagnostics channels. Only then does an export need its suppressed context to follow the
 * request into its async continuations.
 */
export function exportTransportObserved(): boolean {
  return (
    wrapped(http.request) ||
    wrapped(http.get) ||
    wrapped(https.request) ||
    wrapped(https.get) ||
    wrapped(net.Socket.prototype.connect) ||
    wrapped(tls.connect) ||
    wrapped(dns.lookup) ||
    wrapped(dns.promises.lookup) ||
    CLIENT_CHANNELS.some((name) => hasSubscribers(name))
  );
}
