/**
 * Whether a process with this pid exists (signal 0 delivers nothing, it only checks). A process that
 * exists but belongs to another user (EPERM) counts as alive. For tests that check what a killed
 * test process left running, and for the orphan sweep.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
