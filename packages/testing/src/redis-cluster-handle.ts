import type { RedisEndpoint } from './redis-sentinel-handle.js';

/** A running Redis Cluster on 127.0.0.1 with every slot assigned and `cluster_state:ok` on every node. */
export interface RedisClusterHandle {
  /** `redis-cluster://127.0.0.1:P1,127.0.0.1:P2,…` listing every node (masters first). */
  readonly url: string;
  /** Every node, masters first, then replicas. */
  readonly nodes: RedisEndpoint[];
  /** Where the processes came from: containers or the `redis-server` binary. */
  readonly via: 'container' | 'binary';
  /** Stops every process or container it started. Idempotent. */
  stop(): Promise<void>;
}
