import { InvalidArgumentError } from '@switchyard/core';

/** The services the server adds itself, by full name, when asked to (health, reflection). */
const BUILT_IN_SERVICES: Readonly<Record<string, 'health' | 'reflection'>> = {
  'grpc.health.v1.Health': 'health',
  'grpc.reflection.v1.ServerReflection': 'reflection',
  'grpc.reflection.v1alpha.ServerReflection': 'reflection',
};

/**
 * Keeps track of the full names of the services a server is given, so that each is served once.
 * grpc-js refused a second one with a bare `Error` ("Method handler for /…/Say already provided.",
 * no code, no field), and a service of the application named like one the server adds itself
 * (its own `grpc.health.v1.Health` with `health: true`) failed the same way, later, on the
 * server's own.
 */
export class ServedServiceNames {
  private readonly fieldOf = new Map<string, string>();

  constructor(private readonly builtIns: { health: boolean; reflection: boolean }) {}

  /** Records `serviceName`, given at `field`; refuses it when another field gave it or the server adds it. */
  add(field: string, serviceName: string): void {
    const earlier = this.fieldOf.get(serviceName);
    if (earlier !== undefined) {
      throw new InvalidArgumentError(field, `${serviceName} is already served by ${earlier}; give each service once`);
    }
    const builtIn = BUILT_IN_SERVICES[serviceName];
    if (builtIn !== undefined && this.builtIns[builtIn]) {
      throw new InvalidArgumentError(
        field,
        `${serviceName} is served by the server itself (${builtIn}: true); pass ${builtIn}: false to serve your own`,
      );
    }
    this.fieldOf.set(serviceName, field);
  }
}
