import { SwitchyardError, withDefaults } from '@switchyard/core';
import {
  checkPositiveInteger,
  DEFAULT_HOLD_MS,
  DEFAULT_RESERVATION_TTL_MS,
  linesFingerprint,
  mergeLines,
  type ReleaseOutcome,
  type ReserveOptions,
  type Reservation,
  ReservationConflictError,
  type StockRequestLine,
  type StockStore,
} from './stock-store.js';

/** Options for {@link MemoryStockStore}. */
export interface MemoryStockStoreOptions {
  /** How long an answer is remembered for its order id. @default 24 h */
  reservationTtlMs?: number;
  /** How long held units wait for their confirmation. @default 60 s */
  holdMs?: number;
  /**
   * Reservations (answers and holds) kept at most; beyond it a new order id is refused with
   * RESOURCE_EXHAUSTED until old ones expire. About 430 bytes each (measured, Node 20): 100,000 is ~40 MiB.
   * @default 100_000
   */
  maxReservations?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Defaults of {@link MemoryStockStoreOptions}. */
export const DEFAULT_MEMORY_STOCK_STORE_OPTIONS = Object.freeze({
  reservationTtlMs: DEFAULT_RESERVATION_TTL_MS,
  holdMs: DEFAULT_HOLD_MS,
  maxReservations: 100_000,
});

interface Answer {
  answer: Reservation;
  fingerprint: string;
  expiresAt: number;
}

interface Hold {
  lines: StockRequestLine[];
  fingerprint: string;
  expiresAt: number;
}

/**
 * Stock in this process's memory: for `memory://` runs where every catalog replica lives in one
 * process (share one instance between them). Same semantics as the Redis store.
 *
 * Bounded: expired answers and holds are dropped whenever the store is used (an expired hold's
 * units go back), and at most `maxReservations` are kept. Every order id a client sends is kept
 * (a rejected one too, and each unkeyed order has a new id): without the bound, a flood of orders
 * grew the process for 24 h. Beyond it a new order is refused rather than an old answer
 * forgotten early, which would let a retry of that order take its stock a second time.
 */
export class MemoryStockStore implements StockStore {
  private readonly stock = new Map<string, number>();
  // Insertion order is expiry order in each map (one TTL for all of a map, and a confirmed hold
  // is appended as a new answer), so expired entries are pruned from the front.
  private readonly answers = new Map<string, Answer>();
  private readonly holds = new Map<string, Hold>();
  private seeded = false;
  private readonly ttlMs: number;
  private readonly holdMs: number;
  private readonly maxReservations: number;
  private readonly now: () => number;

  /** @throws InvalidArgumentError naming `holdMs` or `maxReservations` when it is not a positive integer. */
  constructor(options: MemoryStockStoreOptions = {}) {
    const resolved = withDefaults(DEFAULT_MEMORY_STOCK_STORE_OPTIONS, options);
    this.ttlMs = resolved.reservationTtlMs;
    this.holdMs = checkPositiveInteger('holdMs', resolved.holdMs, 86_400_000);
    this.maxReservations = checkPositiveInteger('maxReservations', resolved.maxReservations, 10_000_000);
    this.now = options.now ?? Date.now;
  }

  /** Reservations kept now: remembered answers and holds. */
  get reservations(): number {
    return this.answers.size + this.holds.size;
  }

  async seed(levels: ReadonlyMap<string, number>): Promise<boolean> {
    const first = !this.seeded;
    this.seeded = true;
    for (const [id, level] of levels) if (first || !this.stock.has(id)) this.stock.set(id, level);
    return first;
  }

  async levels(productIds: readonly string[]): Promise<Map<string, number>> {
    this.prune();
    return new Map(productIds.map((id) => [id, this.stock.get(id) ?? 0]));
  }

  async reserve(
    orderId: string,
    lines: readonly StockRequestLine[],
    options: ReserveOptions = {},
  ): Promise<Reservation> {
    this.prune();
    const merged = mergeLines(lines);
    const fingerprint = linesFingerprint(merged);
    const previous = this.answers.get(orderId) ?? this.holds.get(orderId);
    if (previous) {
      if (previous.fingerprint !== fingerprint) throw new ReservationConflictError(orderId);
      return 'answer' in previous ? previous.answer : { reserved: true };
    }
    if (this.reservations >= this.maxReservations) {
      throw new SwitchyardError(
        'RESOURCE_EXHAUSTED',
        `stock store ${this} holds as many reservations as maxReservations allows; new orders are refused until old ones expire`,
      );
    }
    const short = merged.find((line) => (this.stock.get(line.productId) ?? 0) < line.quantity);
    if (short) {
      const answer: Reservation = { reserved: false, shortProductId: short.productId };
      this.answers.set(orderId, { answer, fingerprint, expiresAt: this.now() + this.ttlMs });
      return answer;
    }
    this.take(merged, -1);
    if (options.hold) this.holds.set(orderId, { lines: merged, fingerprint, expiresAt: this.now() + this.holdMs });
    else this.answers.set(orderId, { answer: { reserved: true }, fingerprint, expiresAt: this.now() + this.ttlMs });
    return { reserved: true };
  }

  async confirm(orderId: string): Promise<boolean> {
    this.prune();
    const hold = this.holds.get(orderId);
    if (hold) {
      this.holds.delete(orderId);
      // Remembered from now on like a reservation made without hold.
      this.answers.set(orderId, {
        answer: { reserved: true },
        fingerprint: hold.fingerprint,
        expiresAt: this.now() + this.ttlMs,
      });
      return true;
    }
    return this.answers.get(orderId)?.answer.reserved === true;
  }

  async release(orderId: string): Promise<ReleaseOutcome> {
    this.prune();
    const hold = this.holds.get(orderId);
    if (hold) {
      this.holds.delete(orderId);
      this.take(hold.lines, 1);
      return 'released';
    }
    return this.answers.get(orderId)?.answer.reserved === true ? 'confirmed' : 'none';
  }

  async close(): Promise<void> {}

  toString(): string {
    return `MemoryStockStore(products=${this.stock.size}, reservationTtlMs=${this.ttlMs}, holdMs=${this.holdMs}, maxReservations=${this.maxReservations})`;
  }

  /** Adds `sign` × each line's quantity to its level. */
  private take(lines: readonly StockRequestLine[], sign: 1 | -1): void {
    for (const line of lines)
      this.stock.set(line.productId, (this.stock.get(line.productId) ?? 0) + sign * line.quantity);
  }

  /** Drops expired answers, and gives back the units of expired holds. */
  private prune(): void {
    const now = this.now();
    for (const [orderId, entry] of this.answers) {
      if (entry.expiresAt > now) break;
      this.answers.delete(orderId);
    }
    for (const [orderId, hold] of this.holds) {
      if (hold.expiresAt > now) break;
      this.holds.delete(orderId);
      this.take(hold.lines, 1);
    }
  }
}
