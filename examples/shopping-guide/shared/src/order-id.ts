import { createHash } from 'node:crypto';

/**
 * The order id: derived from the user and the idempotency key (which orders requires), so every
 * replica computes the same id for a retried request (and catalog's reservation, keyed by it,
 * happens once). Shared: the gateway routes an order's calls by it (orders keeps each order on the
 * replica that placed it).
 */
export function orderIdFor(userId: string, idempotencyKey: string): string {
  // Length-prefixed, not joined by a separator: with a NUL between them, user "a\0b" with key "c"
  // and user "a" with key "b\0c" hashed the same string and shared one order.
  return `ord-${createHash('sha256').update(`${userId.length}:${userId}${idempotencyKey}`).digest('hex').slice(0, 24)}`;
}
