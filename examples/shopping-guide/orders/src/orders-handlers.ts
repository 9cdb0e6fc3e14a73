import type { OrdersService } from '@shopping-guide/shared';
import { InvalidArgumentError } from '@switchyard/core';
import { type GrpcHandlers, GrpcStatus, grpcError } from '@switchyard/grpc';
import type { OrderPlacer } from './order-placer.js';
import type { OrderStore } from './order-store.js';

/** The shop.orders.v1.OrdersService handlers. */
export function ordersHandlers(options: {
  placer: OrderPlacer;
  store: OrderStore;
}): GrpcHandlers<typeof OrdersService, never> {
  const { placer, store } = options;
  return {
    // The call's signal and deadline: a cancelled call stops waiting, and its placement stops
    // (before reserving stock) unless a retry of the same order still waits for it.
    async placeOrder(request, context) {
      return { order: await placer.place(request, context) };
    },

    async getOrder({ id }) {
      if (id === '') throw new InvalidArgumentError('id', 'must not be empty');
      const order = store.get(id);
      if (!order) throw grpcError(GrpcStatus.NOT_FOUND, `order ${JSON.stringify(id)} not found`);
      return { order };
    },
  };
}
