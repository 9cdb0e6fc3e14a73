import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:http';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Where the Docker engine API is: from `DOCKER_HOST` (`unix://`, or `tcp://` honouring `DOCKER_TLS_VERIFY` and
 * `DOCKER_CERT_PATH`), else the first usual socket path that exists. `other` for schemes we do not speak
 * (ssh://, npipe://); undefined when there is no engine to try.
 */
export function dockerEndpoint(): RequestOptions | 'other' | undefined {
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost === undefined || dockerHost === '') {
    const candidates = [
      '/var/run/docker.sock',
      process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'docker.sock') : undefined,
      join(homedir(), '.docker', 'run', 'docker.sock'),
      join(homedir(), '.docker', 'desktop', 'docker.sock'),
    ];
    const socketPath = candidates.find((path) => path !== undefined && existsSync(path));
    return socketPath ? { socketPath } : undefined;
  }
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost.startsWith('tcp://')) {
    const address = dockerHost.replace(/^tcp:/, 'http:');
    // `tcp://` alone, a bad port…: no engine can be reached there (describeDockerEndpoint says why).
    if (!URL.canParse(address) || new URL(address).hostname === '') return undefined;
    const url = new URL(address);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const tls = process.env.DOCKER_TLS_VERIFY !== undefined && process.env.DOCKER_TLS_VERIFY !== '';
    if (!tls) return { host, port: Number(url.port || 2375) };
    const certs = process.env.DOCKER_CERT_PATH ?? join(homedir(), '.docker');
    const read = (name: string) => (existsSync(join(certs, name)) ? readFileSync(join(certs, name)) : undefined);
    return {
      protocol: 'https:',
      host,
      port: Number(url.port || 2376),
      ca: read('ca.pem'),
      cert: read('cert.pem'),
      key: read('key.pem'),
    } as RequestOptions;
  }
  return 'other';
}

/** The endpoint, for messages. */
export function describeDockerEndpoint(): string {
  const endpoint = dockerEndpoint();
  if (endpoint === 'other') return `DOCKER_HOST=${process.env.DOCKER_HOST}`;
  if (endpoint === undefined) {
    return process.env.DOCKER_HOST
      ? `DOCKER_HOST=${process.env.DOCKER_HOST} (not a usable address)`
      : 'DOCKER_HOST unset and no Docker socket found';
  }
  return endpoint.socketPath ? `unix://${endpoint.socketPath}` : `tcp://${endpoint.host}:${endpoint.port}`;
}

/**
 * Whether a host-networked container's 127.0.0.1 is this machine's 127.0.0.1: a rootful Linux engine on this
 * host. Not so for Docker Desktop (a VM), a remote engine, or rootless Docker (its `--network host` is
 * RootlessKit's network namespace, not the host's), where `auto` prefers the binary path.
 */
export function dockerSharesLoopback(): boolean {
  if (process.platform !== 'linux') return false;
  const endpoint = dockerEndpoint();
  if (endpoint === undefined || endpoint === 'other') return false;
  if (endpoint.socketPath) {
    return !endpoint.socketPath.includes(join('.docker', 'desktop')) && !isRootlessSocket(endpoint.socketPath);
  }
  return ['localhost', '127.0.0.1', '::1'].includes(String(endpoint.host));
}

/**
 * Rootless Docker listens on `$XDG_RUNTIME_DIR/docker.sock`, i.e. `/run/user/<uid>/docker.sock`. (Rootless
 * Podman's socket, `/run/user/<uid>/podman/podman.sock`, is not matched: its host network is the host's.)
 */
function isRootlessSocket(socketPath: string): boolean {
  if (basename(socketPath) !== 'docker.sock') return false;
  const runtimeDir = process.env.XDG_RUNTIME_DIR?.replace(/\/+$/, '');
  return (
    (runtimeDir !== undefined && runtimeDir !== '' && dirname(socketPath) === runtimeDir) ||
    /^\/run\/user\/\d+$/.test(dirname(socketPath))
  );
}
