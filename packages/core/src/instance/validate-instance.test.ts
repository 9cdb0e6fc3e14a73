import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, validateInstance, validateHost, validatePatch } from '@switchyard/core';

const valid = { service: 'catalog', host: '127.0.0.1', ports: { grpc: 50051 } };

function rejection(input: unknown): InvalidArgumentError {
  try {
    validateInstance(input);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('validateInstance', () => {
  it('fills defaults and freezes the result', () => {
    const instance = validateInstance(valid);
    expect(instance).toMatchObject({ service: 'catalog', weight: 100, metadata: {}, status: 'up' });
    expect(instance.id).toMatch(/^catalog-[0-9a-f]{12}$/);
    expect(Object.isFrozen(instance)).toBe(true);
    expect(Object.isFrozen(instance.ports)).toBe(true);
  });

  it.each([
    ['service name with a space', { ...valid, service: 'cat alog' }, 'instance.service', 'DNS label'],
    ['service name with {', { ...valid, service: 'cat{x}' }, 'instance.service', 'DNS label'],
    ['service name with *', { ...valid, service: 'cat*' }, 'instance.service', 'DNS label'],
    ['service name with :', { ...valid, service: 'a:b' }, 'instance.service', 'DNS label'],
    ['service name of 300 characters', { ...valid, service: 'a'.repeat(300) }, 'instance.service', '300-character'],
    ['uppercase service', { ...valid, service: 'Catalog' }, 'instance.service', 'DNS label'],
    ['weight -1', { ...valid, weight: -1 }, 'instance.weight', 'integer from 0 to 10000, got -1'],
    ['fractional weight', { ...valid, weight: 1.5 }, 'instance.weight', 'integer'],
    ['port 70000', { ...valid, ports: { grpc: 70000 } }, 'instance.ports.grpc', 'integer from 1 to 65535'],
    ['port 0', { ...valid, ports: { grpc: 0 } }, 'instance.ports.grpc', 'integer from 1 to 65535'],
    ['no ports', { ...valid, ports: {} }, 'instance.ports', 'at least one port'],
    ['host with scheme', { ...valid, host: 'http://x' }, 'instance.host', 'hostname or IP'],
    ['empty host', { ...valid, host: '' }, 'instance.host', 'hostname or IP'],
    ['1 MiB of metadata', { ...valid, metadata: { blob: 'x'.repeat(1 << 20) } }, 'instance.metadata', '4096 bytes'],
    [
      '65 metadata keys',
      { ...valid, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) },
      'instance.metadata',
      'at most 64 keys',
    ],
    ['non-string metadata value', { ...valid, metadata: { a: 1 } }, 'instance.metadata.a', 'must be a string'],
    ['unknown property', { ...valid, weigth: 5 }, 'instance.weigth', 'unknown option'],
    ['bad status', { ...valid, status: 'down' }, 'instance.status', 'one of up, draining'],
    ['bad id', { ...valid, id: 'a b' }, 'instance.id', 'letters, digits'],
    ['id with |', { ...valid, id: 'a|b' }, 'instance.id', 'letters, digits'],
  ])('rejects %s', (_label, input, field, rule) => {
    const error = rejection(input);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe(field);
    expect(error.message).toContain(rule);
  });

  it('rejects a non-object and names the parameter', () => {
    expect(rejection(null).field).toBe('instance');
    expect(rejection('catalog').message).toContain('must be an object');
  });

  // A Map, a Date or a class instance has no own enumerable keys (or not the ones meant): it was
  // registered as `{}`, so the metadata or the ports were lost without a word.
  it.each([
    ['a Map as metadata', { ...valid, metadata: new Map([['track', 'b']]) }, 'instance.metadata', 'got a Map'],
    ['a Date as metadata', { ...valid, metadata: new Date() }, 'instance.metadata', 'got a Date'],
    ['a class instance as metadata', { ...valid, metadata: new (class Tags {})() }, 'instance.metadata', 'Tags'],
    ['a Map as ports', { ...valid, ports: new Map([['grpc', 50051]]) }, 'instance.ports', 'got a Map'],
    [
      'a URLSearchParams as metadata',
      { ...valid, metadata: new URLSearchParams('track=b') },
      'instance.metadata',
      'URLSearchParams',
    ],
  ])('rejects %s, naming the field (it was registered as {})', (_label, input, field, kind) => {
    const error = rejection(input);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe(field);
    expect(error.message).toContain('plain object');
    expect(error.message).toContain(kind);
  });

  it('rejects a Map as metadata in a patch too', () => {
    expect(() => validatePatch({ metadata: new Map([['track', 'b']]) })).toThrow(/patch.metadata: .*plain object/);
  });

  it('accepts plain objects, with or without a prototype', () => {
    const metadata = Object.assign(Object.create(null) as Record<string, string>, { track: 'b' });
    const ports = Object.assign(Object.create(null) as Record<string, number>, { grpc: 1 });
    expect(validateInstance({ ...valid, ports, metadata })).toMatchObject({
      ports: { grpc: 1 },
      metadata: { track: 'b' },
    });
  });

  it('names a bad port name or an unknown key by its first 64 characters, as a metadata key is, however long it is', () => {
    // A corrupt registry entry (read back through validateInstance) or a config file with a
    // 100 kB key: the whole key went into the field and the message, a 100 kB warning line.
    const long = `k${'x'.repeat(100_000)}`;
    const named = `${long.slice(0, 64)}`;
    const portName = rejection({ ...valid, ports: { [long]: 1 } });
    expect(portName.field).toBe(`instance.ports.${named}`);
    const unknown = rejection({ ...valid, [long]: 1 });
    expect(unknown.field).toBe(`instance.${named}`);
    expect(() => validatePatch({ [long]: 1 })).toThrow(expect.objectContaining({ field: `patch.${named}` }));
    for (const error of [portName, unknown]) expect(error.message.length).toBeLessThan(400);
  });

  it('accepts IPv6 hosts and bracketed IPv6', () => {
    expect(validateInstance({ ...valid, host: '::1' }).host).toBe('::1');
    expect(validateInstance({ ...valid, host: '[::1]' }).host).toBe('[::1]');
  });
});

describe('validatePatch', () => {
  it('accepts only the mutable fields', () => {
    expect(validatePatch({ status: 'draining', weight: 5 })).toEqual({ status: 'draining', weight: 5 });
    expect(() => validatePatch({ host: 'x' })).toThrow(/patch.host: unknown option/);
    expect(() => validatePatch({ weight: 10_001 })).toThrow(/patch.weight/);
  });
});

describe('validateHost', () => {
  it.each(['999.1.1.1', '1.2.3', '0x7f.1', '12345', 'fe80::1%eth0', '[fe80::1%25eth0]'])(
    'refuses %s, which URL parsers reject or read as another address',
    (host) => {
      expect(() => validateHost(host)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'host' }));
    },
  );

  it.each(['db..internal', `${'a'.repeat(64)}.example`, `db.${'x'.repeat(100)}`])(
    'refuses %s, not a host name (an empty label, or one over 63 characters): accepted at register, no client could resolve it',
    (host) => {
      expect(() => validateHost(host)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'host', message: expect.stringContaining('label') }),
      );
    },
  );

  it.each([
    '10.0.0.7',
    '::1',
    '[::1]',
    'catalog',
    `${'a'.repeat(63)}.example`,
    'a.'.repeat(126) + 'b',
    'catalog-1.prod.svc.cluster.local',
    'node1.example',
    'a1',
  ])('accepts %s', (host) => {
    expect(validateHost(host)).toBe(host);
  });
});
