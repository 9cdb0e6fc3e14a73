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
  /** Where the URL came from, as messages name it: `--registry` or `SWITCHYARD_REGISTRY_URL`. */
  readonly source: '--registry' | 'SWITCHYARD_REGISTRY_URL';
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
  // `--registry "$UNSET"`: said "no registry … or set SWITCHYARD_REGISTRY_URL" while it was set.
  if (flags.registry !== undefined && flags.registry.trim() === '') {
    throw new UsageError(
      '--registry is empty: give a URL such as redis://host:6379, or leave it out to use $SWITCHYARD_REGISTRY_URL',
    );
  }
  const url = flags.registry ?? (fromEnv === '' ? undefined : fromEnv);
  if (!url) {
    throw new UsageError('no registry: pass --registry redis://host:6379 or set SWITCHYARD_REGISTRY_URL');
  }
  // A URL refused from the variable was reported as `--registry`, a flag nobody had passed.
  const source = flags.registry === undefined ? 'SWITCHYARD_REGISTRY_URL' : '--registry';
  if (url.startsWith('memory://')) {
    throw new UsageError(
      `${source} ${redactUrl(url)}: an in-memory registry lives inside one process; point the CLI at the Redis your services use (redis://…)`,
    );
  }
  const withCredentials = withRegistryCredentials(url, env);
  return {
    url: withCredentials,
    namespace: flags.namespace ?? DEFAULT_NAMESPACE,
    label: redactUrl(withCredentials),
    source,
  };
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

/** A warning of the registry, as one line, and the problem it names, if it names one. */
export interface RegistryWarning {
  readonly text: string;
  /** e.g. `not a valid instance`, `malformed route rule`. */
  readonly problem: string | undefined;
}

/** Options of {@link openRegistry}. */
export interface OpenRegistryOptions {
  /**
   * Told of what the registry skips or works around in the data it reads (a corrupt instance
   * entry, a malformed route rule or change message): the command prints it as a warning.
   */
  readonly onWarning?: (warning: RegistryWarning) => void;
}

/** Opens the registry. Invalid URLs and namespaces are usage errors. */
export function openRegistry(target: RegistryTarget, options: OpenRegistryOptions = {}): OpenedRegistry {
  let lastError: string | undefined;
  // The registry skips garbage "with a warning" (a corrupt entry, a malformed message): told to a
  // silent logger, `ls <service>` left out a leased instance whose entry was corrupt without a word,
  // as if it did not exist. Connection-state entries (they carry `registry`) stay silent: the
  // command reports an outage itself, in its one failure line or watch's `stale` events.
  const warn = (first: Record<string, unknown> | string, message?: string): void => {
    if (!options.onWarning) return;
    if (typeof first === 'string') options.onWarning({ text: withoutPrefix(first), problem: undefined });
    else if (first.registry === undefined) {
      const problem = typeof first.problem === 'string' ? first.problem : undefined;
      options.onWarning({ text: describeWarning(first, message), problem });
    }
  };
  // The registry reports each failed connection attempt at debug level; keep the last one.
  const logger: Logger = {
    ...silentLogger,
    debug: (first: Record<string, unknown> | string) => {
      // The registry logs `{ error: '<message without secrets>' }` for each failed attempt.
      const error = typeof first === 'object' ? first.error : undefined;
      if (typeof error === 'string' && error) lastError = error;
    },
    warn,
    error: warn,
  };
  let registry: Registry;
  try {
    registry = createRegistry(target.url, { namespace: target.namespace, logger });
  } catch (error) {
    if (SwitchyardError.isInstance(error) && error instanceof InvalidArgumentError) {
      const flag = error.field === 'url' ? target.source : `--${error.field}`;
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

/**
 * One line for a registry log entry: its message without the `switchyard registry:` prefix, then
 * what it is about (`service/id`), the problem (unless the message names it) and the error.
 */
function describeWarning(fields: Record<string, unknown>, message = 'warning'): string {
  const text = withoutPrefix(message);
  const about = [fields.service, fields.id].filter((part) => typeof part === 'string' && part !== '').join('/');
  const err = fields.err instanceof Error ? fields.err.message : undefined;
  const details = [
    about,
    typeof fields.problem === 'string' && !text.includes(fields.problem) ? fields.problem : undefined,
    typeof fields.error === 'string' ? fields.error : err,
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return [text, ...details].join(': ').replace(/\s*\n\s*/g, ' ');
}

function withoutPrefix(message: string): string {
  return message.replace(/^switchyard registry: /, '').replace(/^registry: /, '');
}
