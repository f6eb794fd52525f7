import Table from 'cli-table3';

const SHADES = [' ', '░', '▒', '▓', '█'];

/** A confusion matrix as a terminal heat map: counts, with the off-diagonal cells shaded by size. */
export function renderConfusion(matrix: number[][], labels: string[]): string {
  const table = new Table({ head: ['true \\ pred', ...labels], style: { head: [], border: [] } });
  const offMax = Math.max(1, ...matrix.flatMap((row, i) => row.filter((_, j) => j !== i)));
  matrix.forEach((row, i) => {
    table.push({
      [labels[i] ?? String(i)]: row.map((count, j) => {
        if (i === j) return `${count}`;
        if (count === 0) return '·';
        const shade = SHADES[Math.min(SHADES.length - 1, Math.ceil((count / offMax) * (SHADES.length - 1)))];
        return `${shade}${count}`;
      }),
    });
  });
  return table.toString();
}

/** A 28×28 digit as text. */
export function renderDigit(pixels: ArrayLike<number>): string {
  const lines: string[] = [];
  for (let r = 0; r < 28; r += 2) {
    let line = '';
    for (let c = 0; c < 28; c++) {
      const v = Math.max(pixels[r * 28 + c] as number, pixels[(r + 1) * 28 + c] as number);
      line += SHADES[Math.min(SHADES.length - 1, Math.floor(v * SHADES.length))];
    }
    lines.push(line);
  }
  return lines.join('\n');
}

export function renderTable(head: string[], rows: (string | number)[][]): string {
  const table = new Table({ head, style: { head: [], border: [] } });
  rows.forEach((r) => table.push(r.map(String)));
  return table.toString();
}
