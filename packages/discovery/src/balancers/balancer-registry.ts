import { assertObject, type BalancingStrategy, InvalidArgumentError } from '@switchyard/core';
import { leastOutstanding } from './least-outstanding.js';
import { maglev } from './maglev.js';
import { p2cEwma } from './p2c-ewma.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { weighted } from './weighted.js';

/** Creates a strategy from plain options (as found in a config file). */
export type BalancerFactory = (options?: Record<string, unknown>) => BalancingStrategy;

/**
 * Balancers by name, for configuration files. The caller owns the map: importing a module
 * registers nothing, and `register` replaces a name idempotently. In code, pass a strategy object
 * instead (`balancer: p2cEwma({ coldPenaltyMs: 500 })`).
 */
export class BalancerRegistry {
  private readonly factories = new Map<string, BalancerFactory>();

  /** Adds `factory` under `name`, replacing any factory of that name. Returns this registry, to chain. */
  register(name: string, factory: BalancerFactory): this {
    this.factories.set(name, factory);
    return this;
  }

  /** The registered names, sorted. */
  names(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** @throws InvalidArgumentError naming `balancer` and listing the known names. */
  create(name: string, options?: Record<string, unknown>): BalancingStrategy {
    const factory = this.factories.get(name);
    if (!factory) {
      throw new InvalidArgumentError('balancer', `unknown balancer "${name}"; known: ${this.names().join(', ')}`);
    }
    return factory(options);
  }
}

/**
 * A new registry holding the built-in balancers. Only `p2c-ewma` takes options (`coldPenaltyMs`);
 * options given to another are refused (INVALID_ARGUMENT naming them).
 */
export function builtInBalancers(): BalancerRegistry {
  return (
    new BalancerRegistry()
      .register('round-robin', withoutOptions('round-robin', roundRobin))
      .register('random', withoutOptions('random', random))
      .register('weighted', withoutOptions('weighted', weighted))
      .register('least-outstanding', withoutOptions('least-outstanding', leastOutstanding))
      .register('p2c-ewma', (options) => p2cEwma(options))
      .register('maglev', withoutOptions('maglev', maglev))
      // `ring-hash` is accepted as a name for the same sticky behaviour (Maglev balances better).
      .register('ring-hash', withoutOptions('ring-hash', maglev))
  );
}

/**
 * The factory of a balancer that takes no options: given any (`create('maglev', { tableSize })`
 * from a config file), it refuses them, as p2c-ewma refuses one it does not know. They were
 * ignored without a word, so a setting that did nothing looked applied.
 */
function withoutOptions(name: string, make: () => BalancingStrategy): BalancerFactory {
  return (options) => {
    if (options !== undefined) {
      assertObject(name, options);
      const [key] = Object.keys(options);
      if (key !== undefined) {
        throw new InvalidArgumentError(`${name}.${key.slice(0, 64)}`, `unknown option: ${name} takes none`);
      }
    }
    return make();
  };
}
