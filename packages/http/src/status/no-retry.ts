/**
 * Response header by which a Switchyard server tells its caller not to retry: the request failed
 * because the server's own downstream calls already failed after their retries. Retries then
 * happen at one layer, the hop nearest the failure, instead of multiplying at every hop
 * (3 × 3 × 3 …). The HTTP twin of gRPC's `grpc-retry-pushback-ms: -1`.
 */
export const NO_RETRY_HEADER = 'x-switchyard-no-retry';
