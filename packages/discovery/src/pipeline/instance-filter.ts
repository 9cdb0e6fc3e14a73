import {
  assertKnownKeys,
  assertObject,
  InvalidArgumentError,
  type Logger,
  type ServiceInstance,
} from '@switchyard/core';

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

/**
 * How many instance ids a guarded filter remembers having warned about (as for allowedHosts: ids
 * are unique per registration, so a set of every one ever warned about would grow without end).
 */
const MAX_REMEMBERED_FILTER_WARNINGS = 1_024;

/**
 * Wraps a filter function given by the user so that a throw for one instance leaves that instance
 * out (warned about once per instance id) instead of escaping. The filter runs inside every
 * rebuild of the view: a predicate that threw for one registration (one written without a
 * metadata key the predicate reads) aborted each rebuild half-way, so the view stayed empty or
 * frozen for good, every valid instance with it, and ready() waited out its timeout with "no
 * snapshot from the registry" although the snapshot had come.
 */
export function guardFilter(
  filter: (instance: ServiceInstance) => boolean,
  logger: Logger,
  service: string,
): (instance: ServiceInstance) => boolean {
  const warned = new Set<string>();
  return (instance) => {
    try {
      return filter(instance);
    } catch (error) {
      if (!warned.has(instance.id)) {
        if (warned.size >= MAX_REMEMBERED_FILTER_WARNINGS) warned.clear();
        warned.add(instance.id);
        logger.warn(
          { err: error, service, id: instance.id },
          'switchyard discovery: the filter threw for an instance; it is left out of the view',
        );
      }
      return false;
    }
  };
}
