/** Plain-text tables for the benchmark report (stdout), aligned for a terminal or a code block. */

export type Cell = string | number | boolean | undefined;

function text(cell: Cell): string {
  if (cell === undefined) return '–';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'NO';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return '–';
    return Number.isInteger(cell)
      ? String(cell)
      : cell.toFixed(Math.abs(cell) >= 100 ? 0 : Math.abs(cell) >= 10 ? 1 : 2);
  }
  return cell;
}

export function table(
  title: string,
  headers: readonly string[],
  rows: ReadonlyArray<readonly Cell[]>,
): string {
  const cells = rows.map((r) => r.map(text));
  // Numbers align right, words left.
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number' || r[i] === undefined));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [`\n${title}`, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join(
    '\n',
  );
}
