import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadService } from './definitions.js';

const includeDirs = [fileURLToPath(new URL('../../../protos', import.meta.url))];
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-load-service-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes a .proto file into the scratch directory; returns its name there. */
function proto(name: string, text: string): string {
  writeFileSync(join(scratch, name), `syntax = "proto3";\n${text}`);
  return name;
}

const nameError = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as { code?: string; field?: string; message: string };
  }
  throw new Error('expected loadService to throw');
};

describe('loadService names the service to ask for', () => {
  it('gives the full name for a short one, which it does not accept', () => {
    const error = nameError(() => loadService('shop/catalog/v1/catalog.proto', 'CatalogService', { includeDirs }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'serviceName' });
    expect(error.message).toBe(
      'serviceName: shop/catalog/v1/catalog.proto defines no service CatalogService; name it with its package: shop.catalog.v1.CatalogService',
    );
    // Partly qualified, the same.
    expect(
      nameError(() => loadService('shop/catalog/v1/catalog.proto', 'v1.CatalogService', { includeDirs })).message,
    ).toMatch(/name it with its package: shop\.catalog\.v1\.CatalogService$/);
    // The full name loads.
    const definition = loadService('shop/catalog/v1/catalog.proto', 'shop.catalog.v1.CatalogService', { includeDirs });
    expect(definition.GetProduct?.path).toBe('/shop.catalog.v1.CatalogService/GetProduct');
  });

  it('lists the services the file and its imports define when the name matches none', () => {
    const error = nameError(() =>
      loadService('shop/recommendation/v1/recommendation.proto', 'shop.recommendation.v1.Recommender', { includeDirs }),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'serviceName' });
    expect(error.message).toBe(
      'serviceName: shop/recommendation/v1/recommendation.proto defines no service shop.recommendation.v1.Recommender; services: shop.catalog.v1.CatalogService, shop.recommendation.v1.RecommendationService',
    );
    // A message's name is not a service's.
    expect(
      nameError(() => loadService('shop/catalog/v1/catalog.proto', 'shop.catalog.v1.Product', { includeDirs })).message,
    ).toMatch(/defines no service shop\.catalog\.v1\.Product; services: shop\.catalog\.v1\.CatalogService$/);
  });

  it('says when a short name is ambiguous, and when the file defines no service', () => {
    proto('a.proto', 'package one.v1;\nmessage M {}\nservice Same { rpc format(M) returns (M); }\n');
    proto('b.proto', 'package two.v1;\nimport "a.proto";\nservice Same { rpc Get(one.v1.M) returns (one.v1.M); }\n');
    expect(nameError(() => loadService('b.proto', 'Same', { includeDirs: [scratch] })).message).toBe(
      'serviceName: b.proto defines no service Same; services: one.v1.Same, two.v1.Same (2 of them are named Same: name one in full)',
    );
    // (a method named `format` does not make a service look like a message)
    expect(Object.keys(loadService('b.proto', 'one.v1.Same', { includeDirs: [scratch] }))).toEqual(['format']);
    proto('messages.proto', 'package only.v1;\nmessage M {}\n');
    expect(nameError(() => loadService('messages.proto', 'only.v1.M', { includeDirs: [scratch] })).message).toBe(
      'serviceName: messages.proto defines no service only.v1.M; it defines no services at all',
    );
  });
});
