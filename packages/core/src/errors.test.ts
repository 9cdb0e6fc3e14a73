import { describe, expect, it } from 'vitest';
import {
  CircuitOpenError,
  codeInWords,
  describesThisSide,
  ErrorCode,
  InvalidArgumentError,
  markDescribesThisSide,
  NoInstancesError,
  RegistryUnavailableError,
  RetryExhaustedError,
  SwitchyardError,
} from '@switchyard/core';

describe('SwitchyardError', () => {
  it('carries a stable code, a name and retryable flag', () => {
    const error = new RegistryUnavailableError('redis down', { cause: new Error('ECONNREFUSED') });
    expect(error.code).toBe(ErrorCode.REGISTRY_UNAVAILABLE);
    expect(error.name).toBe('RegistryUnavailableError');
    expect(error.retryable).toBe(true);
    expect((error.cause as Error).message).toBe('ECONNREFUSED');
    expect(error).toBeInstanceOf(SwitchyardError);
  });

  it('recognises errors from another copy of the package through the global marker', () => {
    const foreign = { [Symbol.for('switchyard.error')]: true, code: 'CIRCUIT_OPEN' };
    expect(SwitchyardError.isInstance(foreign)).toBe(true);
    expect(SwitchyardError.isInstance(new Error('x'))).toBe(false);
    expect(SwitchyardError.hasCode(new CircuitOpenError(), 'CIRCUIT_OPEN')).toBe(true);
  });

  it('names the field and the rule for invalid arguments', () => {
    const error = new InvalidArgumentError('instance.weight', 'must be an integer from 0 to 10000, got -1');
    expect(error.message).toBe('instance.weight: must be an integer from 0 to 10000, got -1');
    expect(error.field).toBe('instance.weight');
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.retryable).toBe(false);
  });

  it('keeps every attempt error on RetryExhaustedError with the last as cause', () => {
    const errors = [new Error('a'), new Error('b')];
    const error = new RetryExhaustedError(errors);
    expect(error.errors).toEqual(errors);
    expect(error.cause).toBe(errors[1]);
  });

  it('makes NoInstancesError not retryable by default (nothing was sent; backoff will not make instances appear)', () => {
    const empty = new NoInstancesError('catalog');
    expect(empty).toMatchObject({ code: 'NO_INSTANCES', service: 'catalog', retryable: false });
    expect(empty.message).toBe('catalog: no live instance');
    const cause = new Error('picked one without a port');
    expect(new NoInstancesError('catalog', 'x', { retryable: true, cause })).toMatchObject({ retryable: true, cause });
  });
});

describe('describesThisSide', () => {
  it('is true only for a Switchyard error marked so, and the mark survives a second copy of the package (Symbol.for)', () => {
    const tooLarge = new SwitchyardError('RESOURCE_EXHAUSTED', 'the response from http://10.0.0.7:80 is too large');
    expect(describesThisSide(tooLarge)).toBe(false);
    expect(markDescribesThisSide(tooLarge)).toBe(tooLarge);
    expect(describesThisSide(tooLarge)).toBe(true);
    expect((tooLarge as unknown as Record<symbol, unknown>)[Symbol.for('switchyard.describesThisSide')]).toBe(true);
    expect(
      describesThisSide(Object.assign(new Error('x'), { [Symbol.for('switchyard.describesThisSide')]: true })),
    ).toBe(false);
    expect(codeInWords(tooLarge)).toBe('resource exhausted');
  });
});
