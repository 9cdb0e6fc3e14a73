/**
 * Thrown by ChannelPools for an instance registered without the port the client dials (e.g.
 * `ports: { http }` only): nothing can be sent to it. Internal: attempt() catches it and picks
 * past the instance (see pickWithPort of @switchyard/discovery); it never reaches a caller.
 */
export class MissingPortError extends Error {}
