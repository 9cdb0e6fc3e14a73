import { InvalidArgumentError } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from './connection-url.js';
import { withRegistryCredentials } from './registry-credentials.js';

const PASSWORD = 'p@ss/w:rd%?#';

describe('withRegistryCredentials', () => {
  it('returns the URL unchanged when no credential variable is set, or they are empty', () => {
    expect(withRegistryCredentials('redis://redis:6379', {})).toBe('redis://redis:6379');
    const empty = { SWITCHYARD_REGISTRY_PASSWORD: '', SWITCHYARD_REGISTRY_USERNAME: '' };
    expect(withRegistryCredentials('redis://redis:6379', empty)).toBe('redis://redis:6379');
  });

  it('reads the variables like every other SWITCHYARD_* one: trimmed, and blank is unset', () => {
    const blank = { SWITCHYARD_REGISTRY_PASSWORD: ' \n', SWITCHYARD_REGISTRY_USERNAME: '\t ' };
    expect(withRegistryCredentials('redis://redis:6379', blank)).toBe('redis://redis:6379');
    // A blank username is no username (it was refused as "is set but … is not").
    expect(withRegistryCredentials('redis://redis:6379', { SWITCHYARD_REGISTRY_USERNAME: ' ' })).toBe(
      'redis://redis:6379',
    );
    const padded = { SWITCHYARD_REGISTRY_USERNAME: ' svc ', SWITCHYARD_REGISTRY_PASSWORD: ' p w\r\n' };
    // Only the ends are trimmed: inner spaces are the password's own.
    expect(withRegistryCredentials('redis://redis:6379', padded)).toBe('redis://svc:p%20w@redis:6379');
    // A padded username is the URL's own user, not "another".
    expect(withRegistryCredentials('redis://svc@redis:6379', padded)).toBe('redis://svc:p%20w@redis:6379');
  });

  it('writes the password into a standalone URL, escaped, so ioredis reads it back exactly', () => {
    const url = withRegistryCredentials('redis://redis:6379/2', { SWITCHYARD_REGISTRY_PASSWORD: PASSWORD });
    expect(url).toBe(`redis://:${encodeURIComponent(PASSWORD)}@redis:6379/2`);
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.password)).toBe(PASSWORD);
    expect(parsed.hostname).toBe('redis');
    expect(parsed.pathname).toBe('/2');
  });

  it('adds a username for a Redis ACL user, and keeps a username the URL already has', () => {
    const env = { SWITCHYARD_REGISTRY_USERNAME: 'svc', SWITCHYARD_REGISTRY_PASSWORD: 'pw' };
    expect(withRegistryCredentials('rediss://redis:6380', env)).toBe('rediss://svc:pw@redis:6380');
    expect(withRegistryCredentials('redis://svc@redis:6379', { SWITCHYARD_REGISTRY_PASSWORD: 'pw' })).toBe(
      'redis://svc:pw@redis:6379',
    );
  });

  it('writes credentials into Sentinel and Cluster URLs, where parseRedisUrl finds them', () => {
    const env = { SWITCHYARD_REGISTRY_PASSWORD: PASSWORD };
    const sentinel = withRegistryCredentials('redis-sentinel://s1:26379,s2:26379/mymaster?db=1', env);
    expect(parseRedisUrl(sentinel)).toMatchObject({
      kind: 'sentinel',
      password: PASSWORD,
      masterName: 'mymaster',
      db: 1,
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
    });
    const cluster = withRegistryCredentials('redis-cluster://n1:7000,n2:7001', env);
    expect(parseRedisUrl(cluster)).toMatchObject({
      kind: 'cluster',
      password: PASSWORD,
      nodes: [{ host: 'n1' }, { host: 'n2' }],
    });
  });

  it('leaves a URL that carries its own password alone: an explicit URL means what it says', () => {
    const env = { SWITCHYARD_REGISTRY_PASSWORD: 'from-env' };
    expect(withRegistryCredentials('redis://:own@redis:6379', env)).toBe('redis://:own@redis:6379');
    expect(withRegistryCredentials('redis-cluster://u:own@n1:7000', env)).toBe('redis-cluster://u:own@n1:7000');
  });

  it('leaves memory:// alone: there is nothing to authenticate to', () => {
    expect(withRegistryCredentials('memory://demo', { SWITCHYARD_REGISTRY_PASSWORD: 'pw' })).toBe('memory://demo');
  });

  it('refuses a username with no password (a Secret that did not mount), naming the variables', () => {
    const run = () => withRegistryCredentials('redis://redis:6379', { SWITCHYARD_REGISTRY_USERNAME: 'svc' });
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(/SWITCHYARD_REGISTRY_USERNAME.*SWITCHYARD_REGISTRY_PASSWORD/);
  });

  it('refuses a username that contradicts the one in the URL, without echoing the password', () => {
    const env = { SWITCHYARD_REGISTRY_USERNAME: 'svc', SWITCHYARD_REGISTRY_PASSWORD: 'secret-pw' };
    const run = () => withRegistryCredentials('redis://other@redis:6379', env);
    expect(run).toThrow(/SWITCHYARD_REGISTRY_USERNAME.*names user "svc"/);
    try {
      run();
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-pw');
    }
  });

  it('reports a malformed URL as a bad url, not a TypeError', () => {
    expect(() => withRegistryCredentials('redis://[bad', { SWITCHYARD_REGISTRY_PASSWORD: 'pw' })).toThrow(
      InvalidArgumentError,
    );
  });
});
