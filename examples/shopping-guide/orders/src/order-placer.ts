import type { CatalogService, Order__Output } from '@shopping-guide/shared';
import {
  currentCallScope,
  InvalidArgumentError,
  type Logger,
  NO_DEADLINE,
  runInCallScope,
  silentLogger,
  throwIfAborted,
  toCancelled,
} from '@switchyard/core';
import { type GrpcClient, GrpcCallError, GrpcStatus, grpcError } from '@switchyard/grpc';
import { orderIdFor } from '@shopping-guide/shared';
import type { OrderStore } from './order-store.js';
import { SharedWork, type WorkCaller } from './shared-work.js';

/** The catalog calls placing an order makes (a Switchyard gRPC client, or a fake in tests). */
export type CatalogOrdering = Pick<
  GrpcClient<typeof CatalogService>,
  'batchGetProducts' | 'reserveStock' | 'confirmStock' | 'releaseStock'
>;

/** Options for {@link OrderPlacer}. */
export interface OrderPlacerOptions {
  /** Where compensations (stock released for an order that was not placed) are reported. @default silentLogger */
  logger?: Logger;
  /**
   * Time a release may take, retries included. It runs even when every caller has gone, and a
   * retry of the same order on this replica waits for it. @default 2_000
   */
  releaseTimeoutMs?: number;
}

/** Defaults of {@link OrderPlacerOptions}. */
export const DEFAULT_ORDER_PLACER_OPTIONS = Object.freeze({ releaseTimeoutMs: 2_000 });

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
 *
 * The reservation is a saga step: the stock is held (`hold`), confirmed once the order is placed,
 * and released when the placement fails after the reservation was sent. A lost reply (a deadline
 * passed after catalog reserved, a connection reset) left it reserved for an order nobody recorded
 * or heard of. Catalog never releases a confirmed order's stock, so a late release (this replica's,
 * while a retry placed the order elsewhere) cannot undo a placed order; and it gives back a hold
 * nobody confirms (this replica crashed, the release failed) after its hold time.
 *
 * A placement stops (its catalog calls cancelled, no stock reserved for an order nobody will hear
 * of) once every call waiting for it has been cancelled or run out of time; a call that goes away
 * stops waiting at once.
 */
export class OrderPlacer {
  private readonly placing = new Map<string, { work: SharedWork<Order__Output>; done: Promise<void> }>();
  private readonly logger: Logger;
  private readonly releaseTimeoutMs: number;

  constructor(
    private readonly catalog: CatalogOrdering,
    private readonly store: OrderStore,
    options: OrderPlacerOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.releaseTimeoutMs = options.releaseTimeoutMs ?? DEFAULT_ORDER_PLACER_OPTIONS.releaseTimeoutMs;
    if (!Number.isInteger(this.releaseTimeoutMs) || this.releaseTimeoutMs < 1) {
      throw new InvalidArgumentError(
        'releaseTimeoutMs',
        `must be a positive integer (ms), got ${this.releaseTimeoutMs}`,
      );
    }
  }

  /**
   * Places the order, or answers the one already placed (or being placed) for its key.
   * @param caller the served call's signal and deadline (a gRPC handler's context): when it
   * aborts, this rejects with its reason at once, and the placement stops if no other call waits
   * for it. @default a caller that never goes away
   */
  async place(request: PlaceOrderInput, caller: WorkCaller = {}): Promise<Order__Output> {
    const lines = validate(request);
    // Gone already: nothing to start (a placement made here would wait for a caller that never comes).
    throwIfAborted(caller.signal);
    const id = orderIdFor(request.userId, request.idempotencyKey);
    const known = this.store.get(id);
    if (known) return sameOrder(known, lines);
    let placing = this.placing.get(id);
    // One whose callers all went away is stopping: a retry arriving now must not share its
    // cancellation, so it starts anew (catalog's reservation is idempotent per order id) once
    // that one is done: it may still be releasing its stock, and a reservation made meanwhile
    // would answer from the hold being released, then fail to confirm it.
    if (!placing || placing.work.signal.aborted) {
      const previous = placing?.done;
      let finished: () => void = () => {};
      const done = new Promise<void>((resolve) => (finished = resolve));
      const work: SharedWork<Order__Output> = new SharedWork(async (shared) => {
        try {
          await previous;
          return await this.placeNew(id, request.userId, lines, shared);
        } finally {
          if (this.placing.get(id)?.work === work) this.placing.delete(id);
          finished();
        }
      });
      placing = { work, done };
      this.placing.set(id, placing);
    }
    return sameOrder(await placing.work.join(caller), lines);
  }

  private placeNew(
    id: string,
    userId: string,
    lines: Line[],
    shared: SharedWork<Order__Output>,
  ): Promise<Order__Output> {
    // The catalog clients link their calls to the served call's scope (its signal and deadline):
    // here that would be the call that started the placement, whose cancellation then failed
    // every retry waiting on it. The placement's own signal and its callers' latest deadline
    // stand in for them; the trace and track stay the starting call's.
    const scope = { ...currentCallScope(), deadline: NO_DEADLINE, signal: shared.signal };
    return runInCallScope(scope, () => this.priceAndReserve(id, userId, lines, shared));
  }

  private async priceAndReserve(
    id: string,
    userId: string,
    lines: Line[],
    shared: SharedWork<Order__Output>,
  ): Promise<Order__Output> {
    const ids = [...new Set(lines.map((line) => line.productId))];
    const { products } = await withCallersTime(shared, (options) => this.catalog.batchGetProducts({ ids }, options));
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
    // Every caller gone while it was priced: stop before reserving stock for an order nobody
    // hears of (a retry later places it anew).
    throwIfAborted(shared.signal);
    let reservation: { reserved: boolean; shortProductId: string };
    try {
      // Sent again, when a caller with more time is still waiting, under the same order id:
      // catalog's reservation is idempotent per order id, so it answers the first one's result.
      reservation = await withCallersTime(shared, (options) =>
        this.catalog.reserveStock({ orderId: id, lines, hold: true }, options),
      );
    } catch (error) {
      // Catalog saw this order id reserve other lines (placed on another replica with this key):
      // that reservation is the other request's, never released here.
      if (error instanceof GrpcCallError && error.grpcCode === GrpcStatus.FAILED_PRECONDITION) throw keyReused();
      // What failed may be the reply only (a deadline passed, a connection reset, every caller
      // went away): catalog may hold the stock.
      throw await this.release(id, error);
    }
    if (!reservation.reserved) {
      const rejected: Order__Output = {
        id,
        userId,
        lines,
        totalCents,
        status: 'rejected',
        reason: `out of stock: ${reservation.shortProductId}`,
      };
      this.store.put(rejected);
      return rejected;
    }
    // Every caller went away while it was reserved: nobody will hear of the order, so its stock
    // goes back rather than being confirmed.
    if (shared.signal.aborted) throw await this.release(id, toCancelled(shared.signal.reason));
    let confirmed: boolean;
    try {
      // Confirming twice is harmless: catalog answers `confirmed` again for a confirmed order.
      ({ confirmed } = await withCallersTime(shared, (options) => this.catalog.confirmStock({ orderId: id }, options)));
    } catch (error) {
      // Released unless the confirmation got there (its reply lost): then catalog keeps the
      // stock, and a retry finds the order confirmed.
      throw await this.release(id, error);
    }
    if (!confirmed) {
      throw grpcError(
        GrpcStatus.ABORTED,
        `order ${id}: its stock was given back before it was confirmed (released by another attempt at it, or held past catalog's hold time); retry`,
      );
    }
    // Recorded only once confirmed: a hold expiring under an order recorded as placed would let
    // its stock be sold twice.
    const order: Order__Output = { id, userId, lines, totalCents, status: 'placed', reason: '' };
    this.store.put(order);
    return order;
  }

  /**
   * Saga compensation: gives back the stock catalog may hold for an order this placement did not
   * place. Best effort, within releaseTimeoutMs, logged; catalog never releases a confirmed
   * order's stock, and gives back a hold nobody releases after its hold time. Returns `error`,
   * the placement's failure, for the caller to throw.
   */
  private async release(orderId: string, error: unknown): Promise<unknown> {
    // Not under the placement's signal, which has aborted when every caller went away (the
    // release is needed most then); the trace and track stay the placement's.
    const scope = { ...currentCallScope(), deadline: NO_DEADLINE, signal: undefined };
    try {
      const outcome = await runInCallScope(scope, () =>
        this.catalog.releaseStock({ orderId }, { deadlineMs: this.releaseTimeoutMs }),
      );
      if (outcome.released) this.logger.info({ orderId, err: error }, 'order not placed: its stock was released');
      else if (outcome.confirmed) {
        // The confirmation got there though its reply did not, or another attempt placed it.
        this.logger.info({ orderId, err: error }, 'order not placed here, but its stock is confirmed: a retry gets it');
      }
    } catch (releaseError) {
      this.logger.warn(
        { orderId, err: releaseError, placementError: error },
        "order not placed, and its stock could not be released: catalog gives it back when the hold expires (catalog's hold time)",
      );
    }
    return error;
  }
}

/** A catalog call's options under a placement: its signal, and the deadline of its callers. */
function callOptions(shared: SharedWork<Order__Output>): { signal: AbortSignal; deadline?: number } {
  const { signal, deadline } = shared;
  return deadline === NO_DEADLINE ? { signal } : { signal, deadline };
}

/**
 * Runs one catalog step of a placement under its callers' latest deadline, and again, with the
 * new latest, when that deadline passed while a caller that joined since still has time. A call
 * in flight keeps the deadline it was sent with: a retry joining a placement started by a call
 * with less time left got that call's DEADLINE_EXCEEDED when it passed, while it had seconds
 * left. Bounded: each new try needs a later deadline than the one that passed. Only for steps
 * that are safe to send twice (reads, and catalog's reservation and confirmation, idempotent per
 * order id).
 */
async function withCallersTime<T>(
  shared: SharedWork<Order__Output>,
  call: (options: { signal: AbortSignal; deadline?: number }) => Promise<T>,
): Promise<T> {
  for (;;) {
    const options = callOptions(shared);
    try {
      return await call(options);
    } catch (error) {
      const timedOut = (error as { code?: unknown } | null)?.code === 'DEADLINE_EXCEEDED';
      const latest = shared.deadline;
      const moreTime = latest > (options.deadline ?? NO_DEADLINE) && latest > Date.now();
      if (!timedOut || shared.signal.aborted || !moreTime) throw error;
    }
  }
}

function validate(request: PlaceOrderInput): Line[] {
  if (request.userId === '' || request.userId.length > ORDER_LIMITS.idLength) {
    throw new InvalidArgumentError('user_id', `must be 1 to ${ORDER_LIMITS.idLength} characters`);
  }
  // Required: with it, a retry of any kind (a client's, after a reset mid-call) places one order,
  // which is what lets the proto mark PlaceOrder IDEMPOTENT. Without one, each call placed a new
  // order under a random id, so no client could retry a failure that may have run.
  if (request.idempotencyKey === '' || request.idempotencyKey.length > ORDER_LIMITS.idLength) {
    throw new InvalidArgumentError(
      'idempotency_key',
      `must be 1 to ${ORDER_LIMITS.idLength} characters: the same key places one order, however often it is sent`,
    );
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
