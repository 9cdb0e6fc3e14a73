import type { CatalogService, Order__Output } from '@shopping-guide/shared';
import { InvalidArgumentError } from '@switchyard/core';
import { type GrpcClient, GrpcCallError, GrpcStatus, grpcError } from '@switchyard/grpc';
import { orderIdFor } from '@shopping-guide/shared';
import type { OrderStore } from './order-store.js';

/** The catalog calls placing an order makes (a Switchyard gRPC client, or a fake in tests). */
export type CatalogOrdering = Pick<GrpcClient<typeof CatalogService>, 'batchGetProducts' | 'reserveStock'>;

/** Request limits of PlaceOrder. */
export const ORDER_LIMITS = Object.freeze({ idLength: 128, lines: 50, quantity: 1_000 });

/** A PlaceOrder request as decoded. */
export interface PlaceOrderInput {
  userId: string;
  lines: { productId: string; quantity: number }[];
  idempotencyKey: string;
}

type Line = { productId: string; quantity: number };
const MAX_TOTAL_CENTS = 2 ** 32 - 1;

/**
 * Places orders: validates the request, prices it from catalog's product data, reserves the stock
 * in catalog under an order id derived from the idempotency key, and records the outcome. The
 * same key always yields the same order: from the store on this replica, from catalog's
 * idempotent reservation on any other; concurrent retries on one replica share one placement.
 */
export class OrderPlacer {
  private readonly placing = new Map<string, Promise<Order__Output>>();

  constructor(
    private readonly catalog: CatalogOrdering,
    private readonly store: OrderStore,
  ) {}

  async place(request: PlaceOrderInput): Promise<Order__Output> {
    const lines = validate(request);
    const id = orderIdFor(request.userId, request.idempotencyKey);
    const known = this.store.get(id);
    if (known) return sameOrder(known, lines);
    let placing = this.placing.get(id);
    if (!placing) {
      placing = this.placeNew(id, request.userId, lines).finally(() => this.placing.delete(id));
      this.placing.set(id, placing);
    }
    return sameOrder(await placing, lines);
  }

  private async placeNew(id: string, userId: string, lines: Line[]): Promise<Order__Output> {
    const ids = [...new Set(lines.map((line) => line.productId))];
    const { products } = await this.catalog.batchGetProducts({ ids });
    const prices = new Map(products.map((product) => [product.id, product.priceCents]));
    let totalCents = 0;
    lines.forEach((line, index) => {
      const price = prices.get(line.productId);
      if (price === undefined) {
        throw new InvalidArgumentError(
          `lines[${index}].product_id`,
          `unknown product ${JSON.stringify(line.productId)}`,
        );
      }
      totalCents += price * line.quantity;
    });
    if (totalCents > MAX_TOTAL_CENTS) throw new InvalidArgumentError('lines', 'the order total is too large');
    let reservation: { reserved: boolean; shortProductId: string };
    try {
      reservation = await this.catalog.reserveStock({ orderId: id, lines });
    } catch (error) {
      // Catalog saw this order id reserve other lines (placed on another replica with this key).
      if (error instanceof GrpcCallError && error.grpcCode === GrpcStatus.FAILED_PRECONDITION) throw keyReused();
      throw error;
    }
    const order: Order__Output = {
      id,
      userId,
      lines,
      totalCents,
      status: reservation.reserved ? 'placed' : 'rejected',
      reason: reservation.reserved ? '' : `out of stock: ${reservation.shortProductId}`,
    };
    this.store.put(order);
    return order;
  }
}

function validate(request: PlaceOrderInput): Line[] {
  if (request.userId === '' || request.userId.length > ORDER_LIMITS.idLength) {
    throw new InvalidArgumentError('user_id', `must be 1 to ${ORDER_LIMITS.idLength} characters`);
  }
  if (request.idempotencyKey.length > ORDER_LIMITS.idLength) {
    throw new InvalidArgumentError('idempotency_key', `must be at most ${ORDER_LIMITS.idLength} characters`);
  }
  if (request.lines.length === 0 || request.lines.length > ORDER_LIMITS.lines) {
    throw new InvalidArgumentError('lines', `must hold 1 to ${ORDER_LIMITS.lines} lines, got ${request.lines.length}`);
  }
  return request.lines.map(({ productId, quantity }, index) => {
    if (productId === '' || productId.length > ORDER_LIMITS.idLength) {
      throw new InvalidArgumentError(`lines[${index}].product_id`, `must be 1 to ${ORDER_LIMITS.idLength} characters`);
    }
    if (quantity < 1 || quantity > ORDER_LIMITS.quantity) {
      throw new InvalidArgumentError(
        `lines[${index}].quantity`,
        `must be from 1 to ${ORDER_LIMITS.quantity}, got ${quantity}`,
      );
    }
    return { productId, quantity };
  });
}

/**
 * The stored order, if it is the same request again; a key reused for other lines is refused.
 * "The same" is what catalog's reservation compares (units per product), not the lines' order
 * or splitting: otherwise this replica would refuse a retry that any other one accepts.
 */
function sameOrder(order: Order__Output, lines: Line[]): Order__Output {
  const stored = unitsPerProduct(order.lines);
  const asked = unitsPerProduct(lines);
  const same = stored.size === asked.size && [...asked].every(([id, units]) => stored.get(id) === units);
  if (!same) throw keyReused();
  return order;
}

function unitsPerProduct(lines: readonly Line[]): Map<string, number> {
  const units = new Map<string, number>();
  for (const { productId, quantity } of lines) units.set(productId, (units.get(productId) ?? 0) + quantity);
  return units;
}

function keyReused(): Error {
  return grpcError(GrpcStatus.ALREADY_EXISTS, 'idempotency_key: already used for an order with different lines');
}
