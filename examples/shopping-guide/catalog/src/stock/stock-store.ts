import { createHash } from 'node:crypto';

/** One line of a reservation: how many units of one product. */
export interface StockRequestLine {
  productId: string;
  quantity: number;
}

/** The answer to a reservation; the same order id always gets the same answer. */
export type Reservation = { reserved: true } | { reserved: false; shortProductId: string };

/**
 * Stock levels shared by every catalog replica. Implementations: {@link MemoryStockStore} (one
 * process) and {@link RedisStockStore} (every replica on one Redis).
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
   * @throws ReservationConflictError when `orderId` was already used with different lines.
   */
  reserve(orderId: string, lines: readonly StockRequestLine[]): Promise<Reservation>;
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
