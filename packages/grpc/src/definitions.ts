import type { ServiceDefinition } from '@grpc/grpc-js';
import { type AnyDefinition, type Options, type PackageDefinition, loadSync } from '@grpc/proto-loader';
import { assertObject, describeValue, InvalidArgumentError } from '@switchyard/core';

/** proto-loader options Switchyard uses: camelCase fields, longs and enums as strings, defaults filled. */
export const DEFAULT_PROTO_OPTIONS: Readonly<Options> = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/**
 * Loads one service's definition from a `.proto` file.
 *
 * @example
 * ```ts
 * const CatalogService = loadService<CatalogServiceDefinition>('shop/catalog/v1/catalog.proto', 'shop.catalog.v1.CatalogService', { includeDirs: ['protos'] });
 * ```
 * `serviceName` is the service's full name, with its package (`shop.catalog.v1.CatalogService`),
 * as on the wire, in health checks and in reflection; a short name (`CatalogService`) is refused,
 * with the full name to use, even when the file holds one service of that name: whether a short
 * name is unambiguous depends on everything the file imports, so code that relied on it would
 * break when an import gained a service of the same name.
 *
 * @throws InvalidArgumentError when the file cannot be loaded (`protoFile`) or does not define the
 *   service (`serviceName`; the message lists the services the file and its imports define).
 */
export function loadService<D extends ServiceDefinition = ServiceDefinition>(
  protoFile: string,
  serviceName: string,
  options: Options = {},
): D {
  // Checked first: a service name that is not a string threw "serviceName.split is not a function",
  // and proto-loader's own errors for the others did not say which argument was wrong.
  if (typeof protoFile !== 'string' || protoFile === '') {
    throw new InvalidArgumentError('protoFile', `must be the path of a .proto file, got ${describeValue(protoFile)}`);
  }
  if (typeof serviceName !== 'string' || serviceName === '') {
    throw new InvalidArgumentError(
      'serviceName',
      `must be a fully qualified service name (e.g. 'shop.catalog.v1.CatalogService'), got ${describeValue(serviceName)}`,
    );
  }
  assertObject('options', options);
  let packageDefinition: PackageDefinition;
  try {
    packageDefinition = loadSync(protoFile, { ...DEFAULT_PROTO_OPTIONS, ...options });
  } catch (error) {
    throw new InvalidArgumentError('protoFile', `cannot load ${protoFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // Looked up by full name in proto-loader's flat map: the same object grpc-js's
  // loadPackageDefinition() hangs on its client constructor as `.service`, without grpc-js taking a
  // service with a method named `format` for a message type.
  const service = Object.hasOwn(packageDefinition, serviceName) ? packageDefinition[serviceName] : undefined;
  if (service === undefined || isMessageOrEnum(service)) {
    throw new InvalidArgumentError('serviceName', noServiceRule(protoFile, serviceName, servicesOf(packageDefinition)));
  }
  return service as unknown as D;
}

/**
 * Whether an entry of a loaded file is a message or an enum: those carry a `format` string (their
 * descriptor's type); a service is a map of methods (one may be named `format`, but is an object).
 */
function isMessageOrEnum(definition: AnyDefinition): boolean {
  return typeof (definition as { format?: unknown }).format === 'string';
}

/** The full names of the services a loaded file (and its imports) defines, sorted. */
function servicesOf(packageDefinition: PackageDefinition): string[] {
  return Object.entries(packageDefinition)
    .filter(([, definition]) => !isMessageOrEnum(definition))
    .map(([name]) => name)
    .sort();
}

/**
 * Why `serviceName` is not found: the full name when the name given is the last part of exactly
 * one service's (`CatalogService` for `shop.catalog.v1.CatalogService`), and the services there are.
 */
function noServiceRule(protoFile: string, serviceName: string, services: readonly string[]): string {
  const rule = `${protoFile} defines no service ${serviceName}`;
  if (services.length === 0) return `${rule}; it defines no services at all`;
  const suffix = `.${serviceName}`;
  const matches = services.filter((name) => name.endsWith(suffix));
  if (matches.length === 1) return `${rule}; name it with its package: ${matches[0]}`;
  const ambiguity = matches.length > 1 ? ` (${matches.length} of them are named ${serviceName}: name one in full)` : '';
  return `${rule}; services: ${services.join(', ')}${ambiguity}`;
}

/** Checks a value is a grpc-js ServiceDefinition (an object of method definitions with paths). */
export function assertServiceDefinition(field: string, definition: unknown): asserts definition is ServiceDefinition {
  const methods = typeof definition === 'object' && definition !== null ? Object.values(definition) : [];
  if (methods.length === 0 || !methods.every((method) => typeof (method as { path?: unknown }).path === 'string')) {
    throw new InvalidArgumentError(field, 'must be a gRPC service definition (e.g. from loadService())');
  }
}

/** The short service name of a definition (`shop.catalog.v1.CatalogService`), from its method paths. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const path = (Object.values(definition)[0] as { path: string }).path;
  return path.slice(1, path.lastIndexOf('/'));
}
