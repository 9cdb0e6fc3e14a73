/**
 * A password-protected Redis, reached with the URL from one variable and the password from another
 * (a ConfigMap and a Secret in Kubernetes): withRegistryCredentials is what joins them.
 */
import { startRedis } from '@switchyard/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry, RedisRegistry, withRegistryCredentials } from '../src/index.js';
import { uniqueNamespace } from './helpers.js';

const PASSWORD = 'reg/istry@pass%word';
const redis = await startRedis({ password: PASSWORD });
afterAll(() => redis.stop());
const bareUrl = `redis://${redis.host.includes(':') ? `[${redis.host}]` : redis.host}:${redis.port}`;

describe('a registry behind requirepass', () => {
  it('registers and lists with the password from SWITCHYARD_REGISTRY_PASSWORD', async () => {
    const url = withRegistryCredentials(bareUrl, { SWITCHYARD_REGISTRY_PASSWORD: PASSWORD });
    const registry = createRegistry(url, { namespace: uniqueNamespace() });
    try {
      await registry.register({ service: 'catalog', host: '10.0.0.7', ports: { grpc: 50051 } });
      expect((await registry.list('catalog')).map((instance) => instance.host)).toEqual(['10.0.0.7']);
    } finally {
      await registry.close();
    }
  });

  // Read like every other SWITCHYARD_* variable: trimmed, blank is unset. A value from an env file
  // or a Secret made with `echo pw > file` carries a newline or spaces: it failed with WRONGPASS
  // only once the servers had started (and a blank username was refused as "is set").
  it('trims the variables: a username and password with stray whitespace still authenticate', async () => {
    const url = withRegistryCredentials(bareUrl, {
      SWITCHYARD_REGISTRY_USERNAME: ' default ',
      SWITCHYARD_REGISTRY_PASSWORD: `${PASSWORD}\n`,
    });
    const registry = createRegistry(url, { namespace: uniqueNamespace() });
    try {
      await registry.register({ service: 'catalog', host: '10.0.0.8', ports: { grpc: 50051 } });
      expect((await registry.list('catalog')).map((instance) => instance.host)).toEqual(['10.0.0.8']);
    } finally {
      await registry.close();
    }
  });

  it('takes a blank username as unset, with the password alone', async () => {
    const url = withRegistryCredentials(bareUrl, {
      SWITCHYARD_REGISTRY_USERNAME: '  ',
      SWITCHYARD_REGISTRY_PASSWORD: PASSWORD,
    });
    const registry = createRegistry(url, { namespace: uniqueNamespace() });
    try {
      await registry.register({ service: 'catalog', host: '10.0.0.9', ports: { grpc: 50051 } });
      expect((await registry.list('catalog')).map((instance) => instance.host)).toEqual(['10.0.0.9']);
    } finally {
      await registry.close();
    }
  });

  it('without it fails with an authentication error that does not carry the password', async () => {
    const registry = new RedisRegistry({ url: bareUrl, namespace: uniqueNamespace(), connectTimeoutMs: 1_000 });
    try {
      const error = await registry.list('catalog').then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error).toBeInstanceOf(Error);
      expect(`${error?.message} ${String((error as { cause?: unknown })?.cause ?? '')}`).toMatch(/NOAUTH|auth/i);
      expect(error?.message).not.toContain(PASSWORD);
    } finally {
      await registry.close();
    }
  });
});
