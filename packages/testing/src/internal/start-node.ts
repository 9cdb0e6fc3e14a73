import { BinaryRedisNode } from './binary-node.js';
import { ContainerRedisNode } from './container-node.js';
import type { RedisNode, RedisNodeSpec } from './redis-node.js';

/** Creates and starts one node on the given path. */
export async function startNode(via: 'container' | 'binary', spec: RedisNodeSpec): Promise<RedisNode> {
  const node = via === 'container' ? new ContainerRedisNode(spec) : new BinaryRedisNode(spec);
  await node.start();
  return node;
}

/**
 * Starts several nodes in parallel. If any fails, the others are stopped and the first error is rethrown, so a
 * failed setup leaves nothing behind.
 */
export async function startNodes(via: 'container' | 'binary', specs: RedisNodeSpec[]): Promise<RedisNode[]> {
  const nodes = specs.map((spec) => (via === 'container' ? new ContainerRedisNode(spec) : new BinaryRedisNode(spec)));
  const results = await Promise.allSettled(nodes.map((node) => node.start()));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopNodes(nodes, 'kill');
    throw failure.reason;
  }
  return nodes;
}

/** Stops (or kills) every node, in parallel, and reports all failures together. */
export async function stopNodes(nodes: readonly RedisNode[], how: 'stop' | 'kill' = 'stop'): Promise<void> {
  const results = await Promise.allSettled(nodes.map((node) => (how === 'stop' ? node.stop() : node.kill())));
  const errors = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (errors.length > 0) {
    throw new AggregateError(
      errors.map((error) => error.reason),
      `could not ${how} ${errors.length} node(s): ${errors.map((error) => (error.reason as Error).message).join('; ')}`,
    );
  }
}
