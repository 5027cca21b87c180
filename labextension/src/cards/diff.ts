/**
 * Line diffs: of two texts (a plan revision against the one before it), and of the unified
 * diff an edit approval carries. Pure: no DOM. Each row keeps its text exactly, without the
 * `+`/`-` sign, so a removed line and an added line are never joined.
 */

export type DiffKind = 'add' | 'del' | 'ctx' | 'hunk' | 'file';

export interface IDiffRow {
  kind: DiffKind;
  text: string;
}

/** Lines of `text`; a final newline ends the last line, it does not start another. */
export function lines(text: string): string[] {
  if (text === '') {
    return [];
  }
  const all = text.split(/\r\n|\n|\r/);
  return all[all.length - 1] === '' ? all.slice(0, -1) : all;
}

/** The longest common subsequence diff of `before` and `after`, line by line. */
export function lineDiff(before: string, after: string, maxCells = 4_000_000): IDiffRow[] {
  const a = lines(before);
  const b = lines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const head: IDiffRow[] = a.slice(0, start).map(text => ({ kind: 'ctx', text }));
  const tail: IDiffRow[] = a.slice(endA).map(text => ({ kind: 'ctx', text }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > maxCells) {
    // too large to align: all out, all in
    return [
      ...head,
      ...midA.map(text => ({ kind: 'del' as const, text })),
      ...midB.map(text => ({ kind: 'add' as const, text })),
      ...tail
    ];
  }
  const n = midA.length;
  const m = midB.length;
  const table: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) {
    table.push(new Uint32Array(m + 1));
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] =
        midA[i] === midB[j]
          ? table[i + 1][j + 1] + 1
          : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const mid: IDiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      mid.push({ kind: 'ctx', text: midA[i] });
      i++;
      j++;
    } else if (i < n && (j === m || table[i + 1][j] >= table[i][j + 1])) {
      mid.push({ kind: 'del', text: midA[i++] }); // removed before added
    } else {
      mid.push({ kind: 'add', text: midB[j++] });
    }
  }
  return [...head, ...mid, ...tail];
}

/** The rows of a unified diff (`---`/`+++` file lines, `@@` hunks, `+`, `-`, context). */
export function parseUnified(diff: string): IDiffRow[] {
  return lines(diff).map(line => {
    if (line.startsWith('+++') || line.startsWith('---')) {
      return { kind: 'file', text: line };
    }
    if (line.startsWith('@@')) {
      return { kind: 'hunk', text: line };
    }
    if (line.startsWith('+')) {
      return { kind: 'add', text: line.slice(1) };
    }
    if (line.startsWith('-')) {
      return { kind: 'del', text: line.slice(1) };
    }
    if (line.startsWith('\\')) {
      return { kind: 'hunk', text: line }; // "\ No newline at end of file"
    }
    return { kind: 'ctx', text: line.startsWith(' ') ? line.slice(1) : line };
  });
}

/** How many lines were added and removed. */
export function counts(rows: IDiffRow[]): { added: number; removed: number } {
  return {
    added: rows.filter(r => r.kind === 'add').length,
    removed: rows.filter(r => r.kind === 'del').length
  };
}
