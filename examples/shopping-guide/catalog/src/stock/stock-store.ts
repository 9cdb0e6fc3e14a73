import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@switchyard/core';

/** One line of a reservation: how many units of one product. */
export interface StockRequestLine {
  productId: string;
  quantity: number;
}

/** The answer to a reservation; the same order id always gets the same answer. */
export type Reservation = { reserved: true } | { reserved: false; shortProductId: string };

/** How a reservation is made. */
export interface ReserveOptions {
  /**
   * Hold the units until {@link StockStore.confirm} (or give them back on
   * {@link StockStore.release}, or by themselves once the store's hold time has passed), rather
   * than take them for good at once. @default false
   */
  hold?: boolean;
}

/**
 * What {@link StockStore.release} did: `released` gave the held units back; `confirmed` released
 * nothing, the order's units being taken for good; `none` found nothing held (an unknown order,
 * one released already or whose hold expired, or one rejected as out of stock).
 */
export type ReleaseOutcome = 'released' | 'confirmed' | 'none';

/**
 * Stock levels shared by every catalog replica. Implementations: {@link MemoryStockStore} (one
 * process) and {@link RedisStockStore} (every replica on one Redis).
 *
 * Two-phase reservations (what orders uses): `reserve(…, { hold: true })` holds the units,
 * `confirm` takes them for good once the order is placed, `release` gives them back when its
 * placement failed. Whoever calls them, in whatever order, on whichever replica: a confirmed
 * order's units are never given back, and held units are given back at most once. A hold that
 * is neither confirmed nor released (its orders replica crashed, the release was lost or arrived
 * before a late reservation) is given back by itself once the store's hold time has passed, so
 * stock is never stranded for longer than that.
 */
export interface StockStore {
  /**
   * Writes the initial levels unless some replica already did (a seed marker written with SET
   * NX); products missing from an earlier seed are added without touching the others. Resolves
   * `true` if this call seeded.
   */
  seed(levels: ReadonlyMap<string, number>): Promise<boolean>;
  /** Current levels; a product the store does not know has 0. */
  levels(productIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Takes every line's quantity, or nothing: if any product is short, nothing changes and the
   * answer names the first short product (in line order). Idempotent per `orderId`: a repeated
   * call returns the first answer and takes nothing more. A store that lost its levels (a Redis
   * restarted empty) is seeded again first, or the call fails UNAVAILABLE: it never answers "short"
   * from missing data.
   *
   * A held reservation (`hold`) answers the same, and counts as a reservation for idempotency
   * until it is released or expires: a retry after that reserves anew.
   *
   * @throws ReservationConflictError when `orderId` was already used with different lines.
   */
  reserve(orderId: string, lines: readonly StockRequestLine[], options?: ReserveOptions): Promise<Reservation>;
  /**
   * Takes the units held for `orderId` for good (they are then remembered as a reservation made
   * without hold). Idempotent. Resolves `true` when the order's units are taken for good (now or
   * before, with or without a hold), `false` when nothing is held for it: never reserved, out of
   * stock, released, or its hold expired (the order must not be placed; a retry reserves again).
   */
  confirm(orderId: string): Promise<boolean>;
  /** Gives back the units held for `orderId`, never those of a confirmed order. Idempotent. */
  release(orderId: string): Promise<ReleaseOutcome>;
  close(): Promise<void>;
  toString(): string;
}

/** The order id was already used for a reservation of different lines. */
export class ReservationConflictError extends Error {
  constructor(readonly orderId: string) {
    super(`order_id ${orderId} was already used to reserve different lines`);
    this.name = 'ReservationConflictError';
  }
}

/** How long an answer is remembered for its order id. */
export const DEFAULT_RESERVATION_TTL_MS = 24 * 60 * 60 * 1_000;

/**
 * How long held units wait for their confirmation before they are given back. Orders confirms
 * right after the reservation's reply; this bounds how long units stay stranded when neither a
 * confirmation nor a release ever comes, and must outlast a slow reply (else the order fails, and
 * its retry reserves again).
 */
export const DEFAULT_HOLD_MS = 60_000;

/** Checks a store's time or count option: an integer from 1 to `max`, naming the option if not. */
export function checkPositiveInteger(field: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(field, `must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

/** Lines with the same product merged (first occurrence keeps its place). */
export function mergeLines(lines: readonly StockRequestLine[]): StockRequestLine[] {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}

/** A short digest of the (merged) lines, so a reused order id with other lines is detected. */
export function linesFingerprint(lines: readonly StockRequestLine[]): string {
  const canonical = [...lines]
    .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
    .map((line) => `${line.productId}\u0000${line.quantity}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}
