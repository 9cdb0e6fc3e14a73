/**
 * Formats rows as a plain-text table: a header in capitals, columns padded with two spaces, the
 * last column unpadded. Cells are made terminal-safe (control characters escaped): registry data is
 * untrusted and must not be able to move the cursor or recolour the operator's terminal.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers.map((header) => header.toUpperCase()), ...rows.map((row) => row.map(terminalSafe))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// C0 and C1 control characters, DEL, and the bidirectional overrides that can disguise text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Escapes control characters as `\u{…}` so text cannot drive the terminal. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

// What JSON.stringify leaves raw inside strings: DEL, C1 controls, bidirectional overrides (it
// escapes C0 controls itself, and the tabs and newlines outside strings are its layout).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The same for JSON text from `JSON.stringify`: the characters become `\uXXXX` escapes, so the
 * output still parses to exactly the same value. A server's response may carry them.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}
