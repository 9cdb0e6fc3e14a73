import { type BalancingStrategy, InvalidArgumentError } from '@switchyard/core';
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

  register(name: string, factory: BalancerFactory): this {
    this.factories.set(name, factory);
    return this;
  }

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

/** A new registry holding the built-in balancers. */
export function builtInBalancers(): BalancerRegistry {
  return (
    new BalancerRegistry()
      .register('round-robin', () => roundRobin())
      .register('random', () => random())
      .register('weighted', () => weighted())
      .register('least-outstanding', () => leastOutstanding())
      .register('p2c-ewma', (options) => p2cEwma(options))
      .register('maglev', () => maglev())
      // `ring-hash` is accepted as a name for the same sticky behaviour (Maglev balances better).
      .register('ring-hash', () => maglev())
  );
}
