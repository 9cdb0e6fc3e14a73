import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { processAlive } from '../process-alive.js';

/**
 * Who started which `redis-server`: one small file per server, so that servers outliving a test
 * process that was SIGKILLed (a vitest fork killed at a timeout, an OOM kill: no exit hook runs)
 * are found and stopped by the next process that starts one. Linux only (it needs /proc to tell a
 * server from an unrelated process that reused its pid); elsewhere nothing is recorded or swept.
 */
// Exported for tests. Per user, and trusted only when it is this user's own directory (see ownDirectory): the shared
// tmpdir is writable by everyone, and a record names a process to kill and a directory to delete.
const UID = process.getuid?.();
export const OWNERS_DIR = join(tmpdir(), `switchyard-testing-owners${UID === undefined ? '' : `-${UID}`}`);
/** Where binary-node makes each server's temp dir: the only directories a record may name. */
const SERVER_DIR_PREFIX = join(tmpdir(), 'switchyard-redis-');

interface OwnedServer {
  /** The test process that started it. */
  owner: number;
  pid: number;
  /** Its start time in clock ticks since boot (/proc/<pid>/stat field 22): pids are reused. */
  startTicks: string;
  /** Its temp dir. */
  dir: string;
}

/** Field 22 of /proc/<pid>/stat, or undefined when the process is gone (or this is not Linux). */
function startTicksOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Records a server this process started; returns a function that forgets it (call it once the server is gone). */
export function recordOwnedServer(pid: number, dir: string): () => void {
  const startTicks = startTicksOf(pid);
  if (startTicks === undefined) return () => {};
  const file = join(OWNERS_DIR, `${pid}.json`);
  try {
    mkdirSync(OWNERS_DIR, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify({ owner: process.pid, pid, startTicks, dir } satisfies OwnedServer));
  } catch {
    return () => {}; // best effort: a server that is not recorded is only not swept
  }
  return () => rmSync(file, { force: true });
}

/**
 * Stops every recorded server whose owner is gone (and which is still that same process), removes
 * its temp dir and forgets it. Returns how many servers it stopped.
 */
export function sweepOrphanedServers(): number {
  let swept = 0;
  let files: string[];
  try {
    if (!ownedByThisUser(OWNERS_DIR, 'directory')) return 0;
    files = readdirSync(OWNERS_DIR);
  } catch {
    return 0;
  }
  for (const name of files) {
    const file = join(OWNERS_DIR, name);
    let record: OwnedServer | undefined;
    try {
      if (ownedByThisUser(file, 'file')) record = ownedServer(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      // being written, or not ours to judge
    }
    if (record === undefined || processAlive(record.owner)) continue;
    if (startTicksOf(record.pid) === record.startTicks) {
      try {
        process.kill(record.pid, 'SIGKILL');
        swept++;
      } catch {
        // gone meanwhile
      }
    }
    try {
      rmSync(record.dir, { recursive: true, force: true });
    } catch {
      // not removable (permissions): left, and the server still swept; the start goes on
    }
    try {
      unlinkSync(file);
    } catch {
      // another process swept it first
    }
  }
  return swept;
}

/** Whether `path` is a real (not symlinked) file or directory owned by this process's user. */
function ownedByThisUser(path: string, kind: 'file' | 'directory'): boolean {
  const stats = lstatSync(path);
  if (kind === 'file' ? !stats.isFile() : !stats.isDirectory()) return false;
  return UID === undefined || stats.uid === UID;
}

/** A record read back, if it has the expected shape and names a server temp dir (nothing else is deleted). */
function ownedServer(value: unknown): OwnedServer | undefined {
  const record = value as Partial<OwnedServer> | null;
  if (typeof record !== 'object' || record === null) return undefined;
  const { owner, pid, startTicks, dir } = record;
  if (!Number.isInteger(owner) || !Number.isInteger(pid) || typeof startTicks !== 'string') return undefined;
  if (
    typeof dir !== 'string' ||
    !dir.startsWith(SERVER_DIR_PREFIX) ||
    dir.slice(SERVER_DIR_PREFIX.length).includes(sep)
  ) {
    return undefined;
  }
  return record as OwnedServer;
}

let sweptThisProcess = false;

/** {@link sweepOrphanedServers}, once per process (before its first server starts). */
export function sweepOrphanedServersOnce(): void {
  if (sweptThisProcess) return;
  sweptThisProcess = true;
  sweepOrphanedServers();
}
