import { assertKnownKeys, assertObject, InvalidArgumentError, type ServiceInstance } from '@switchyard/core';

/** Which instances a discovery may use: by version, by metadata, or by a function. */
export type InstanceFilter =
  | { version?: string | readonly string[]; metadata?: Readonly<Record<string, string>> }
  | ((instance: ServiceInstance) => boolean);

/** Compiles a filter option into a predicate; validates it (field `filter…`). */
export function compileFilter(filter: InstanceFilter | undefined): (instance: ServiceInstance) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter === 'function') return filter;
  assertObject('filter', filter);
  assertKnownKeys('filter', filter as Record<string, unknown>, ['version', 'metadata']);
  if (filter.version !== undefined && typeof filter.version !== 'string' && !Array.isArray(filter.version)) {
    throw new InvalidArgumentError('filter.version', 'must be a string or an array of strings');
  }
  // An empty list matched no instance at all: every pick failed with NO_INSTANCES, as if the
  // service had none, instead of the configuration error it is.
  if (Array.isArray(filter.version) && filter.version.length === 0) {
    throw new InvalidArgumentError('filter.version', 'must name at least one version');
  }
  const versions =
    filter.version === undefined
      ? undefined
      : new Set(typeof filter.version === 'string' ? [filter.version] : filter.version);
  if (versions) {
    for (const version of versions) {
      if (typeof version !== 'string')
        throw new InvalidArgumentError('filter.version', 'must be a string or an array of strings');
    }
  }
  // Not an object (a string, an array): its characters or items became required labels ('0', '1', …)
  // and the filter silently matched nothing.
  if (filter.metadata !== undefined) assertObject('filter.metadata', filter.metadata);
  const metadata = Object.entries(filter.metadata ?? {});
  for (const [key, value] of metadata) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`filter.metadata.${key}`, 'must be a string');
  }
  return (instance) =>
    (versions === undefined || (instance.version !== undefined && versions.has(instance.version))) &&
    metadata.every(([key, value]) => instance.metadata[key] === value);
}
