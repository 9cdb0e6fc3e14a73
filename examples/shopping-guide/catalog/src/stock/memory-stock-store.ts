import {
  DEFAULT_RESERVATION_TTL_MS,
  linesFingerprint,
  mergeLines,
  type Reservation,
  ReservationConflictError,
  type StockRequestLine,
  type StockStore,
} from './stock-store.js';

/** Options for {@link MemoryStockStore}. */
export interface MemoryStockStoreOptions {
  /** @default 24 h */
  reservationTtlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Stock in this process's memory: for `memory://` runs where every catalog replica lives in one
 * process (share one instance between them). Same semantics as the Redis store.
 */
export class MemoryStockStore implements StockStore {
  private readonly stock = new Map<string, number>();
  // Insertion order is expiry order (one TTL for all), so expired answers are pruned from the front.
  private readonly answers = new Map<string, { answer: Reservation; fingerprint: string; expiresAt: number }>();
  private seeded = false;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: MemoryStockStoreOptions = {}) {
    this.ttlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  async seed(levels: ReadonlyMap<string, number>): Promise<boolean> {
    const first = !this.seeded;
    this.seeded = true;
    for (const [id, level] of levels) if (first || !this.stock.has(id)) this.stock.set(id, level);
    return first;
  }

  async levels(productIds: readonly string[]): Promise<Map<string, number>> {
    return new Map(productIds.map((id) => [id, this.stock.get(id) ?? 0]));
  }

  async reserve(orderId: string, lines: readonly StockRequestLine[]): Promise<Reservation> {
    this.prune();
    const merged = mergeLines(lines);
    const fingerprint = linesFingerprint(merged);
    const previous = this.answers.get(orderId);
    if (previous) {
      if (previous.fingerprint !== fingerprint) throw new ReservationConflictError(orderId);
      return previous.answer;
    }
    const short = merged.find((line) => (this.stock.get(line.productId) ?? 0) < line.quantity);
    const answer: Reservation = short ? { reserved: false, shortProductId: short.productId } : { reserved: true };
    if (!short)
      for (const line of merged) this.stock.set(line.productId, (this.stock.get(line.productId) ?? 0) - line.quantity);
    this.answers.set(orderId, { answer, fingerprint, expiresAt: this.now() + this.ttlMs });
    return answer;
  }

  async close(): Promise<void> {}

  toString(): string {
    return `MemoryStockStore(products=${this.stock.size}, reservationTtlMs=${this.ttlMs})`;
  }

  private prune(): void {
    const now = this.now();
    for (const [orderId, entry] of this.answers) {
      if (entry.expiresAt > now) break;
      this.answers.delete(orderId);
    }
  }
}
