import { spawn } from 'node:child_process';
import { onProcessExit } from './exit-cleanup.js';

/** How to reach the Docker engine's HTTP API (dockerode's modem settings). */
export interface DockerApiEndpoint {
  socketPath?: string;
  host?: string;
  port?: number | string;
  protocol?: string;
}

const live = new Map<string, DockerApiEndpoint>();
let hooked = false;

// Runs in a detached `node -e` child: exit hooks are synchronous, and HTTP to the engine is not.
const REAPER_SCRIPT = `
const http = require('node:http');
const { endpoint, ids } = JSON.parse(process.env.SWITCHYARD_TESTING_REAP);
for (const id of ids) {
  const options = endpoint.socketPath ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port };
  http.request({ ...options, method: 'DELETE', path: '/containers/' + id + '?force=true&v=true', timeout: 10000 })
    .on('error', () => {}).on('timeout', function () { this.destroy(); }).end();
}`;

/**
 * Remembers a running container so that, if the process exits before `stop()`, a detached helper removes it
 * (Ryuk is disabled). Returns a function to call once the container is gone.
 */
export function trackContainer(id: string, endpoint: DockerApiEndpoint): () => void {
  live.set(id, endpoint);
  if (!hooked) {
    hooked = true;
    onProcessExit(reapAll);
  }
  return () => {
    live.delete(id);
  };
}

function reapAll(): void {
  hooked = false;
  const byEndpoint = new Map<string, { endpoint: DockerApiEndpoint; ids: string[] }>();
  for (const [id, endpoint] of live) {
    if (endpoint.protocol === 'https') continue; // TLS engines: left to the `switchyard.testing=true` label sweep
    const key = JSON.stringify(endpoint);
    const entry = byEndpoint.get(key) ?? { endpoint, ids: [] };
    entry.ids.push(id);
    byEndpoint.set(key, entry);
  }
  live.clear();
  for (const entry of byEndpoint.values()) {
    const child = spawn(process.execPath, ['-e', REAPER_SCRIPT], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, SWITCHYARD_TESTING_REAP: JSON.stringify(entry) },
    });
    child.unref();
  }
}
