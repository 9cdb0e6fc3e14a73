/**
 * A GitHub-flavoured markdown table. Numeric-looking columns are right-aligned so figures line up when the
 * table is read as plain text in a terminal, not only when rendered.
 */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(3, header.length, ...rows.map((row) => escapeCell(row[column] ?? '').length)),
  );
  const numeric = headers.map((_, column) => rows.length > 0 && rows.every((row) => isNumeric(row[column] ?? '')));
  const line = (cells: readonly string[]): string =>
    `| ${cells
      .map((cell, column) => {
        const text = escapeCell(cell);
        const width = widths[column] ?? 0;
        return numeric[column] ? text.padStart(width) : text.padEnd(width);
      })
      .join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (numeric[column] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(headers), rule, ...rows.map((row) => line(headers.map((_, column) => row[column] ?? '')))].join('\n');
}

/** A pipe inside a cell would end the cell early. */
function escapeCell(text: string): string {
  return text.replaceAll('|', '\\|');
}

function isNumeric(text: string): boolean {
  return /^-?[\d,]+(\.\d+)?$/.test(text.trim());
}
