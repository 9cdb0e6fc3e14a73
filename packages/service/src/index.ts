/**
 * @switchyard/service: the lifecycle of a Switchyard service in one call.
 *
 * Stance: an instance announces itself only once its servers listen, with the ports it really
 * bound; it leaves in order — draining first, so clients stop picking it, deregistering next, and
 * closing only after the calls it accepted are answered; and a misconfigured service fails at start
 * with one line that names the setting, not at its first request.
 *
 * @packageDocumentation
 */
export { startService } from './start-service.js';
export { runService } from './run-service.js';
export type { ServiceOptions } from './service-options.js';
// The HTTP handler's types, so a handler written in a module of its own can be typed from here.
export type { HttpHandlerContext, HttpRequestHandler } from '@switchyard/http';
export type { RunningService, ServiceClientOptions } from './running-service.js';
export { resolveServiceConfig, DEFAULT_SERVICE_OPTIONS } from './service-config.js';
export type { ServiceConfig } from './service-config.js';
export { advertiseHost } from './advertise-host.js';
export { tlsFromEnv } from './tls-from-env.js';
export type { ServiceTls } from './tls-from-env.js';
