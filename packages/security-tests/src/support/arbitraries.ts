import { SwitchyardError } from '@switchyard/core';
import fc from 'fast-check';
import { expect } from 'vitest';

/** Any JavaScript value fast-check can make: primitives, boxed values, maps, sets, typed arrays, null-prototype objects, sparse arrays… */
export const anyValue = fc.anything({
  maxDepth: 3,
  maxKeys: 6,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
  withUnicodeString: true,
});

export const serviceName = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
export const instanceId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/);
export const version = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.+_-]{0,12}$/);
export const zone = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/);
export const ipv4 = fc.ipV4();
export const hostname = fc.domain();
export const port = fc.integer({ min: 1, max: 65_535 });
export const portName = fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/);
export const metadataKey = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,20}$/);

/** Strings around the edges of the instance rules: empty, too long, unicode, injection-looking. */
export const edgyString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.constantFrom(
    '',
    ' ',
    '-',
    'a'.repeat(64),
    'a'.repeat(300),
    '{catalog}',
    'catalog}:instances',
    'x:y',
    '*',
    '../etc',
    '127.0.0.1:6379',
    'http://evil.example',
    'évil',
    'a\nb',
    'a\u0000b',
    '__proto__',
    'constructor',
    'toString',
    '[::1]',
    '::1',
    '[::1',
    '10.0.0.1/8',
  ),
);

/** A valid instance input (optional fields present or not). */
export const validInstanceInput = fc.record(
  {
    id: instanceId,
    service: serviceName,
    host: fc.oneof(ipv4, hostname, fc.ipV6()),
    ports: fc.dictionary(portName, port, { minKeys: 1, maxKeys: 3 }),
    version,
    zone,
    weight: fc.integer({ min: 0, max: 10_000 }),
    metadata: fc.dictionary(metadataKey, fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    status: fc.constantFrom('up', 'draining'),
  },
  { requiredKeys: ['service', 'host', 'ports'] },
);

const garbageFor: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(edgyString, anyValue),
  service: fc.oneof(edgyString, anyValue),
  host: fc.oneof(edgyString, anyValue, fc.webUrl(), fc.constantFrom('evil.example:443', 'a..b', '-a.b', '1.2.3.4.5')),
  ports: fc.oneof(
    fc.dictionary(fc.oneof(portName, edgyString), fc.oneof(port, fc.integer(), fc.double(), anyValue), { maxKeys: 20 }),
    anyValue,
  ),
  version: fc.oneof(edgyString, anyValue),
  zone: fc.oneof(edgyString, anyValue),
  weight: fc.oneof(fc.integer(), fc.double(), anyValue),
  metadata: fc.oneof(
    fc.dictionary(fc.oneof(metadataKey, edgyString), fc.oneof(fc.string(), anyValue), { maxKeys: 70 }),
    fc.dictionary(metadataKey, fc.string({ minLength: 100, maxLength: 300 }), { minKeys: 10, maxKeys: 20 }),
    anyValue,
  ),
  status: fc.oneof(edgyString, anyValue),
};

/**
 * Objects shaped like an instance input: valid ones, valid ones with one or two fields replaced by
 * edgy or garbage values, deleted or joined by unknown keys, and wild values.
 */
export const instanceLike: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: validInstanceInput, weight: 2 },
  {
    arbitrary: fc
      .tuple(
        validInstanceInput,
        fc.subarray(Object.keys(garbageFor), { minLength: 1, maxLength: 2 }),
        fc.constantFrom('garbage', 'delete', 'unknown-key'),
      )
      .chain(([base, fields, how]) => {
        if (how === 'delete') {
          const copy: Record<string, unknown> = { ...base };
          for (const field of fields) delete copy[field];
          return fc.constant(copy);
        }
        if (how === 'unknown-key') {
          return fc
            .tuple(fc.string({ maxLength: 12 }), anyValue)
            .map(([key, value]) => ({ ...base, [key]: value }) as Record<string, unknown>);
        }
        return fc
          .tuple(...fields.map((field) => garbageFor[field] as fc.Arbitrary<unknown>))
          .map((values) => ({ ...base, ...Object.fromEntries(fields.map((field, i) => [field, values[i]])) }));
      }),
    weight: 5,
  },
  { arbitrary: anyValue, weight: 1 },
);

/** A rejection must be a SwitchyardError with code INVALID_ARGUMENT naming a field. */
export function expectInvalidArgument(error: unknown, context = ''): void {
  expect(SwitchyardError.isInstance(error), `not a SwitchyardError (${context}): ${describeError(error)}`).toBe(true);
  expect((error as SwitchyardError).code, `${context}: ${describeError(error)}`).toBe('INVALID_ARGUMENT');
  expect(typeof (error as { field?: unknown }).field).toBe('string');
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  try {
    return `non-error ${typeof error}: ${String(error)}`;
  } catch {
    return `non-error ${typeof error}`;
  }
}

/**
 * The seed of every property here. `pnpm test` (and so CI) runs a fixed seed: a red run is a
 * regression and replays exactly. `FUZZ_SEED=random` explores new cases (`pnpm test:fuzz`); a
 * failure prints its seed, `FUZZ_SEED=<seed>` replays it, and each find is kept as an example of
 * its property so it is checked on every run afterwards.
 */
const FIXED_SEED = 20_261_121;
const seedSetting = process.env.FUZZ_SEED;
if (seedSetting !== 'random') {
  const seed = seedSetting === undefined ? FIXED_SEED : Number(seedSetting);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", got ${seedSetting}`);
  fc.configureGlobal({ seed });
}

/** fast-check settings shared by the properties: moderate runs, reproducible through the printed seed. */
export const runs = <T>(numRuns: number, examples: T[] = []): fc.Parameters<T> => ({ numRuns, examples });

/** A printable rendering of any value (String() throws on null-prototype objects). */
export function show(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : fc.stringify(value);
  } catch {
    return `<${typeof value}>`;
  }
}

/** `arbitrary`, or now and then undefined: an option left out. */
export const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });

/** The record without its undefined entries (options left out rather than given as undefined). */
export const strip = <T extends Record<string, unknown>>(record: T) =>
  Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));

/** Mostly `valid`, sometimes one of `odd`: most runs then get through validation with one odd field. */
export const mostly = <T>(valid: fc.Arbitrary<T>, ...odd: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 3 * odd.length }, ...odd.map((arbitrary) => ({ arbitrary, weight: 1 })));

/** Up to `count` of the record's entries. */
export const someOf = <T>(record: Record<string, T>, count: number) => {
  const keys = Object.keys(record);
  return fc
    .subarray(keys, { maxLength: Math.min(count, keys.length) })
    .map((chosen) => Object.fromEntries(chosen.map((key) => [key, record[key]])) as Record<string, T>);
};
