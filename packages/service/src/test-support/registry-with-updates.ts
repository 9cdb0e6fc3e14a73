import type { MemoryRegistry, Registration, Registry } from '@switchyard/registry';

type Update = Registration['update'];

/**
 * `memory` as a Registry whose registrations' update() goes through `update` (a test's failures or
 * delays; `real` is the registration's own update). For tests of markReady() / markNotReady().
 */
export function withUpdates(
  memory: MemoryRegistry,
  update: (patch: Parameters<Update>[0], real: Update) => ReturnType<Update>,
): Registry {
  return {
    list: (service) => memory.list(service),
    services: () => memory.services(),
    watch: (service, listener) => memory.watch(service, listener),
    setRoute: (service, rule, options) => memory.setRoute(service, rule, options),
    getRoute: (service) => memory.getRoute(service),
    close: () => memory.close(),
    async register(instance, options) {
      const registration = await memory.register(instance, options);
      const real = registration.update.bind(registration);
      registration.update = (patch) => update(patch, real);
      return registration;
    },
  };
}
