/** @shopping-guide/gateway: the customer-facing REST API of the shopping guide. */
export { startGateway } from './gateway.js';
export { createRouter } from './routes.js';
export type { Backends } from './routes.js';
export { trackOf } from './track.js';
