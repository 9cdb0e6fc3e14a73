/** Keeps the last `limitBytes` of a process's or container's output, for error messages. */
export class OutputBuffer {
  private text = '';

  constructor(private readonly limitBytes = 8_192) {}

  append(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limitBytes) this.text = this.text.slice(-this.limitBytes);
  }

  get empty(): boolean {
    return this.text.trim() === '';
  }

  /** The kept output, indented, or a note that there was none. */
  describe(): string {
    const trimmed = this.text.trim();
    return trimmed === '' ? '(no output)' : trimmed.replace(/^/gm, '  | ');
  }
}
