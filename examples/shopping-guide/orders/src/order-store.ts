import type { Order__Output } from '@shopping-guide/shared';

/** Where placed (and rejected) orders are kept. */
export interface OrderStore {
  get(id: string): Order__Output | undefined;
  put(order: Order__Output): void;
  toString(): string;
}

/**
 * Orders in this replica's memory, the oldest forgotten first beyond `maxOrders`. Another
 * replica does not see them (GetOrder there answers NOT_FOUND); a retried PlaceOrder is still
 * safe everywhere, because the stock reservation is idempotent in catalog.
 */
export class MemoryOrderStore implements OrderStore {
  private readonly orders = new Map<string, Order__Output>();

  constructor(private readonly maxOrders = 100_000) {}

  get size(): number {
    return this.orders.size;
  }

  get(id: string): Order__Output | undefined {
    return this.orders.get(id);
  }

  put(order: Order__Output): void {
    this.orders.delete(order.id);
    this.orders.set(order.id, order);
    if (this.orders.size > this.maxOrders) this.orders.delete(this.orders.keys().next().value as string);
  }

  toString(): string {
    return `MemoryOrderStore(maxOrders=${this.maxOrders})`;
  }
}
