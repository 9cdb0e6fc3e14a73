import { createInterface } from 'node:readline';
import type { CliIo } from './io.js';

/**
 * Asks a question on stderr and reads one line from stdin. Resolves undefined when stdin ends
 * without an answer (e.g. `< /dev/null`), so a script never hangs on a prompt.
 */
export function ask(io: CliIo, question: string): Promise<string | undefined> {
  io.stderr.write(question);
  return new Promise((resolve) => {
    const reader = createInterface({ input: io.stdin, terminal: false });
    let answered = false;
    reader.once('line', (line) => {
      answered = true;
      // A piped answer is not echoed: end the prompt's line so the next message starts on its own.
      if (!io.stdin.isTTY) io.stderr.write('\n');
      reader.close();
      resolve(line.trim());
    });
    reader.once('close', () => {
      if (answered) return;
      if (!io.stdin.isTTY) io.stderr.write('\n');
      resolve(undefined);
    });
  });
}

/** `y` or `yes`, any case. */
export function isYes(answer: string | undefined): boolean {
  return answer !== undefined && /^(y|yes)$/i.test(answer);
}
