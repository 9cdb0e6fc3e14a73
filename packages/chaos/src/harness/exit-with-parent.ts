/**
 * Preloaded (`--import`) into every process the chaos harness starts. A child must not outlive the
 * test process that started it: `killAll()` (afterEach) and the exit hook do not run when that
 * process is SIGKILLed (a vitest worker killed, the OOM killer), and only the echo fixture reads its
 * stdin, so a shopping-guide service left that way ran on for good, retrying its registry. This
 * polls the parent: once the child has been re-parented (its parent died), it exits.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 250).unref();
