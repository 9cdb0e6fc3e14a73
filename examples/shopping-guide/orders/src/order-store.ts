import type { Order__Output } from '@shopping-guide/shared';

/** Where placed (and rejected) orders are kept. */
export interface OrderStore {
  get(id: string): Order__Output | undefined;
  put(order: Order__Output): void;
  toString(): string;
}

/**
 * Orders in this replica's memory, the oldest forgotten first beyond `maxOrders` orders or
 * `maxLines` lines in all. Another replica does not see them (GetOrder there answers NOT_FOUND);
 * a retried PlaceOrder is still safe everywhere, because the stock reservation is idempotent in
 * catalog.
 */
export class MemoryOrderStore implements OrderStore {
  private readonly orders = new Map<string, Order__Output>();
  private lines = 0;

  /**
   * Both bounds count: an order holds up to 50 lines, so by count alone 100,000 big orders (which
   * any client can send, placed or rejected) took ~380 MiB, beyond an orders pod's memory limit.
   * 500,000 lines is ~40 MiB of lines.
   */
  constructor(
    private readonly maxOrders = 100_000,
    private readonly maxLines = 500_000,
  ) {}

  get size(): number {
    return this.orders.size;
  }

  get(id: string): Order__Output | undefined {
    return this.orders.get(id);
  }

  put(order: Order__Output): void {
    this.forget(order.id);
    this.orders.set(order.id, order);
    this.lines += order.lines.length;
    // The newest order always stays, even alone above maxLines.
    while (this.orders.size > 1 && (this.orders.size > this.maxOrders || this.lines > this.maxLines)) {
      this.forget(this.orders.keys().next().value as string);
    }
  }

  toString(): string {
    return `MemoryOrderStore(maxOrders=${this.maxOrders}, maxLines=${this.maxLines})`;
  }

  private forget(id: string): void {
    const order = this.orders.get(id);
    if (!order) return;
    this.orders.delete(id);
    this.lines -= order.lines.length;
  }
}
