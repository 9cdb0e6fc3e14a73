type Testcontainers = typeof import('testcontainers');

let loaded: Promise<Testcontainers> | undefined;

/**
 * Imports testcontainers on first use, so users of the binary path never load it. Before the import it sets
 * defaults that suit a local engine with host networking: no Ryuk reaper (containers are removed by `stop()`,
 * at process exit, or by label `switchyard.testing=true`) and `localhost` as the container host.
 */
export function loadTestcontainers(): Promise<Testcontainers> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
  loaded ??= import('testcontainers');
  return loaded;
}
