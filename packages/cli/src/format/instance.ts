import type { RouteRule, ServiceInstance } from '@switchyard/core';

/** `10.0.0.7:50051/grpc,8080/http` (IPv6 hosts in brackets). */
export function formatAddress(instance: Pick<ServiceInstance, 'host' | 'ports'>): string {
  const host = instance.host.includes(':') && !instance.host.startsWith('[') ? `[${instance.host}]` : instance.host;
  const ports = Object.entries(instance.ports).map(([name, port]) => `${port}/${name}`);
  return ports.length > 0 ? `${host}:${ports.join(',')}` : host;
}

/** `1.4.0=95% 1.5.0=5%`, or `none`. */
export function formatRoute(rule: RouteRule | undefined): string {
  if (!rule) return 'none';
  return Object.entries(rule.splits)
    .map(([version, percent]) => `${version}=${percent}%`)
    .join(' ');
}

/** Instances in a stable order: by id. */
export function sortInstances<T extends Pick<ServiceInstance, 'id'>>(instances: readonly T[]): T[] {
  return [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
