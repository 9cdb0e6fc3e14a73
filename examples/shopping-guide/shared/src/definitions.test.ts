import { describe, expect, it } from 'vitest';
import { CatalogService, OrdersService, RecommendationService, SearchService } from './definitions.js';

/** Each method's `idempotency_level`, as @grpc/proto-loader puts it on the definition (what Switchyard's client reads). */
function levels(definition: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      (method as { options?: { idempotency_level?: unknown } }).options?.idempotency_level,
    ]),
  );
}

describe('idempotency levels: what a client may retry after a failure that may have run (a replica killed mid-call)', () => {
  it('marks the reads NO_SIDE_EFFECTS, the stock operations (once per order id) IDEMPOTENT', () => {
    expect(levels(CatalogService)).toEqual({
      GetProduct: 'NO_SIDE_EFFECTS',
      ListProducts: 'NO_SIDE_EFFECTS',
      BatchGetProducts: 'NO_SIDE_EFFECTS',
      ReserveStock: 'IDEMPOTENT',
      ConfirmStock: 'IDEMPOTENT',
      ReleaseStock: 'IDEMPOTENT',
    });
    expect(levels(SearchService)).toEqual({ Search: 'NO_SIDE_EFFECTS' });
    expect(levels(RecommendationService)).toEqual({ RecordView: 'IDEMPOTENCY_UNKNOWN', Recommend: 'NO_SIDE_EFFECTS' });
  });

  it('marks PlaceOrder IDEMPOTENT: its idempotency key is required, and the same key places one order', () => {
    expect(levels(OrdersService)).toEqual({ PlaceOrder: 'IDEMPOTENT', GetOrder: 'NO_SIDE_EFFECTS' });
  });
});
