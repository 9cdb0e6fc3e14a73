/**
 * Starts the shopping-guide services as separate processes (as they would run in production),
 * each on free loopback ports, registered in the demo's registry and exporting spans to the demo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface FleetProcess {
  readonly service: string;
  readonly index: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The registry id the process announced in its "started" log line. */
  instanceId: string | undefined;
  /** Its last output lines (stdout and stderr, at most {@link RECENT_LINES}): shown if it dies early. */
  readonly recentLines: string[];
}

/** How many of a process's last output lines are kept for a failure report. */
export const RECENT_LINES = 30;

const root = fileURLToPath(new URL('../..', import.meta.url));

export function startProcess(
  service: string,
  index: number,
  env: Record<string, string>,
  onLine: (line: string) => void,
): FleetProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@switchyard/source', '--import', 'tsx', `examples/shopping-guide/${service}/src/main.ts`],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const fleetProcess: FleetProcess = { service, index, child, exited, instanceId: undefined, recentLines: [] };
  const handleLine = (line: string): void => {
    if (!line.trim()) return;
    fleetProcess.recentLines.push(line);
    if (fleetProcess.recentLines.length > RECENT_LINES) fleetProcess.recentLines.shift();
    // startService logs `{"msg":"<name> started","id":"<instance id>",…}` once it registered.
    if (line.includes(' started"')) {
      try {
        fleetProcess.instanceId = (JSON.parse(line) as { id?: string }).id ?? fleetProcess.instanceId;
      } catch {
        // not a JSON log line
      }
    }
    onLine(line);
  };
  // Pipes deliver chunks, not lines: a line split across two chunks (a long JSON log line, the
  // "started" one included) is joined before it is looked at. One buffer per stream.
  const lines = (stream: NodeJS.ReadableStream | null): void => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) handleLine(line);
    });
    stream?.on('end', () => {
      if (partial) handleLine(partial);
      partial = '';
    });
  };
  lines(child.stdout);
  lines(child.stderr);
  return fleetProcess;
}

/** SIGTERM (graceful drain) every process still running, then wait, bounded. */
export async function stopAll(processes: readonly FleetProcess[], timeoutMs: number): Promise<void> {
  for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
  await Promise.race([Promise.all(processes.map((p) => p.exited)), deadline]);
  for (const { child } of processes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
