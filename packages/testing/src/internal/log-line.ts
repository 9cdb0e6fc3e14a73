/** Writes one `[switchyard/testing] …` line to stderr (not through console, so test reporters keep it). */
export function logLine(message: string): void {
  process.stderr.write(`[switchyard/testing] ${message}\n`);
}
