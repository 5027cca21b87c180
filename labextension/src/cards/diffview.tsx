/**
 * Diff rows drawn line by line: a sign column (`+`, `-`, space) and the line itself,
 * highlighted. Long unchanged runs fold to "… N unchanged lines".
 */
import * as React from 'react';
import { IDiffRow } from './diff';
import { Code } from './services';

const SIGNS: { [kind: string]: string } = { add: '+', del: '-', ctx: ' ', hunk: '', file: '' };
const NAMES: { [kind: string]: string } = { add: 'added', del: 'removed' };

type Shown = IDiffRow | { kind: 'fold'; text: string };

/** Rows with unchanged runs longer than 2×`context`+1 folded. */
export function folded(rows: IDiffRow[], context: number | null): Shown[] {
  if (context === null) {
    return rows;
  }
  const near = rows.map(() => false);
  rows.forEach((row, i) => {
    if (row.kind !== 'ctx') {
      for (let j = Math.max(0, i - context); j <= Math.min(rows.length - 1, i + context); j++) {
        near[j] = true;
      }
    }
  });
  const out: Shown[] = [];
  let hidden = 0;
  rows.forEach((row, i) => {
    if (row.kind === 'ctx' && !near[i]) {
      hidden++;
      return;
    }
    if (hidden) {
      out.push({ kind: 'fold', text: `… ${hidden} unchanged line${hidden === 1 ? '' : 's'}` });
      hidden = 0;
    }
    out.push(row);
  });
  if (hidden) {
    out.push({ kind: 'fold', text: `… ${hidden} unchanged line${hidden === 1 ? '' : 's'}` });
  }
  return out;
}

export function DiffRows(props: {
  rows: IDiffRow[];
  language: string;
  context?: number | null;
}): JSX.Element {
  const shown = folded(props.rows, props.context ?? null);
  return (
    <div className="jp-plan-diff" role="table" aria-label="Changes, line by line">
      {shown.map((row, i) => (
        <div key={i} className={`jp-plan-diff-row jp-plan-diff-${row.kind}`} role="row">
          <span
            className="jp-plan-diff-sign"
            role="cell"
            aria-label={NAMES[row.kind] ?? undefined}
          >
            {SIGNS[row.kind] ?? ''}
          </span>
          <span className="jp-plan-diff-line" role="cell">
            {row.kind === 'add' || row.kind === 'del' || row.kind === 'ctx' ? (
              <Code code={row.text} language={props.language} block={false} />
            ) : (
              row.text
            )}
          </span>
        </div>
      ))}
    </div>
  );
}
