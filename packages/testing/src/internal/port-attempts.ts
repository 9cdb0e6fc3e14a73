import { SwitchyardTestingError } from '../testing-error.js';
import { logLine } from './log-line.js';

/** Attempts, each on freshly chosen ports, when a chosen free port is taken before the server binds it. */
export const PORT_ATTEMPTS = 3;

/**
 * Runs `attempt` (which chooses its free ports, starts its servers and, on failure, leaves nothing running)
 * again while it fails with `PORT_TAKEN`, at most {@link PORT_ATTEMPTS} times in all. Ports are chosen free,
 * then bound later by a child process or container: another process may take one in between.
 */
export async function withPortAttempts<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let number = 1; ; number++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(SwitchyardTestingError.isInstance(error) && error.code === 'PORT_TAKEN') || number >= PORT_ATTEMPTS) {
        throw error;
      }
      logLine(`${what}: a port was taken before the server bound it; trying other ports (${firstLine(error.message)})`);
    }
  }
}

function firstLine(text: string): string {
  return (text.split('\n', 1)[0] as string).replace(/:$/, '');
}
