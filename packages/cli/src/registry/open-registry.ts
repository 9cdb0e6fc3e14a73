import { InvalidArgumentError, type Logger, SwitchyardError, silentLogger } from '@switchyard/core';
import { createRegistry, type Registry, RedisRegistry, redactUrl, withRegistryCredentials } from '@switchyard/registry';
import { UsageError } from '../cli-error.js';
import { LeaseInspector } from './lease-inspector.js';

/** Where the registry is: from `--registry` / `--namespace`, else the environment. */
export interface RegistryTarget {
  readonly url: string;
  readonly namespace: string;
  /** The URL with any password masked, for messages. */
  readonly label: string;
}

/** @default namespace of the registry keys (the same default as @switchyard/registry). */
export const DEFAULT_NAMESPACE = 'switchyard';

/**
 * Resolves the registry URL: `--registry`, else `SWITCHYARD_REGISTRY_URL`, completed with
 * `SWITCHYARD_REGISTRY_PASSWORD` / `SWITCHYARD_REGISTRY_USERNAME` when it has no password of its own.
 * @throws UsageError when neither is set, or for a `memory://` URL (a CLI process cannot see
 * another process's in-memory registry).
 * @throws InvalidArgumentError for contradictory credential variables.
 */
export function resolveRegistryTarget(
  flags: { registry?: string | undefined; namespace?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): RegistryTarget {
  // Read as every SWITCHYARD_* variable is (the registry's README): trimmed, and blank is unset. A
  // value padded by an env file or a Secret was refused as an unknown scheme (" redis://").
  const fromEnv = env.SWITCHYARD_REGISTRY_URL?.trim();
  const url = flags.registry ?? (fromEnv === '' ? undefined : fromEnv);
  if (!url) {
    throw new UsageError('no registry: pass --registry redis://host:6379 or set SWITCHYARD_REGISTRY_URL');
  }
  if (url.startsWith('memory://')) {
    throw new UsageError(
      `--registry ${redactUrl(url)}: an in-memory registry lives inside one process; point the CLI at the Redis your services use (redis://…)`,
    );
  }
  const withCredentials = withRegistryCredentials(url, env);
  return { url: withCredentials, namespace: flags.namespace ?? DEFAULT_NAMESPACE, label: redactUrl(withCredentials) };
}

/** A registry opened for one CLI run, with what the CLI needs around it. */
export interface OpenedRegistry {
  readonly registry: Registry;
  readonly target: RegistryTarget;
  /** The last low-level connection error (e.g. `connect ECONNREFUSED 127.0.0.1:1`), for a clear message. */
  lastConnectionError(): string | undefined;
  /** The read-only Redis helper for ages and lease expiry (opened on first use). */
  inspector(): LeaseInspector | undefined;
  /** The Redis backend, for operator actions the Registry interface does not have (evict). */
  redis(): RedisRegistry | undefined;
  close(): Promise<void>;
}

/** Opens the registry. Invalid URLs and namespaces are usage errors. */
export function openRegistry(target: RegistryTarget): OpenedRegistry {
  let lastError: string | undefined;
  // The registry reports each failed connection attempt at debug level; keep the last one.
  const logger: Logger = {
    ...silentLogger,
    debug: (first: Record<string, unknown> | string) => {
      // The registry logs `{ error: '<message without secrets>' }` for each failed attempt.
      const error = typeof first === 'object' ? first.error : undefined;
      if (typeof error === 'string' && error) lastError = error;
    },
  };
  let registry: Registry;
  try {
    registry = createRegistry(target.url, { namespace: target.namespace, logger });
  } catch (error) {
    if (SwitchyardError.isInstance(error) && error instanceof InvalidArgumentError) {
      const flag = error.field === 'url' ? '--registry' : `--${error.field}`;
      throw new UsageError(`${flag}: ${error.rule}`);
    }
    throw error;
  }
  let inspector: LeaseInspector | undefined;
  return {
    registry,
    target,
    lastConnectionError: () => lastError,
    inspector: () => {
      inspector ??= LeaseInspector.forUrl(target.url, target.namespace);
      return inspector;
    },
    redis: () => (registry instanceof RedisRegistry ? registry : undefined),
    close: async () => {
      await Promise.all([registry.close(), inspector?.close()]);
    },
  };
}
