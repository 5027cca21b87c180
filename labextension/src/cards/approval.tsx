/**
 * A tool call the policy asks the person about, in the notebook's words: what will happen,
 * to which cell and where ("after cell 3"), for which plan step; the code highlighted or a
 * line diff; the asking rule in a details line. Allowing an inserted or changed cell also
 * allows running it.
 */
import * as React from 'react';
import { IApprovalRequest } from '../protocol';
import { DiffRows } from './diffview';
import { parseUnified } from './diff';
import { Code, Services } from './services';

/** "cell 1a2b3c4d" → "cell 4" where the notebook knows it (first line in a title). */
export function withCellNumbers(
  text: string,
  label: (cellId: string) => string | null
): string {
  return text.replace(/\bcells? ([0-9a-zA-Z_-]+(?:, [0-9a-zA-Z_-]+)*)/g, (whole, ids: string) => {
    const named = ids.split(', ').map(id => label(id) ?? `cell ${id}`);
    return named.length === 1 ? named[0] : `cells ${named.map(n => n.replace(/^cell /, '')).join(', ')}`;
  });
}

/** The asking rule, said once (the policy's reason often names it already). */
export function ruleLine(request: { reason: string; rule: string | null }): string {
  if (!request.rule) {
    return `${request.reason} (no rule matched: asking is the default)`;
  }
  const where = request.rule.replace(/ \(.*\)$/, '');
  return request.reason.includes(where) ? request.reason : `${request.reason}: rule ${request.rule}`;
}

/** How a card answers the kernel's approval request. */
export type Answer = (action: 'allow' | 'deny', args: { scope?: string; reason?: string }) => void;

/** A card's first answer to a request: allow this one call. */
export function AllowOnce(props: {
  className: string;
  onAnswer: Answer;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <button
      type="button"
      className={`jp-plan-button jp-plan-primary ${props.className}`}
      onClick={() => props.onAnswer('allow', { scope: 'once' })}
    >
      {props.children}
    </button>
  );
}

export function ApprovalCard(props: { request: IApprovalRequest; onAnswer: Answer }): JSX.Element {
  const { request } = props;
  const services = React.useContext(Services);
  const [reason, setReason] = React.useState('');
  const sentence = withCellNumbers(request.sentence, services.cellLabel);
  const covered = request.tool === 'insert_cell' || request.tool === 'edit_cell';
  let preview: JSX.Element | null = null;
  if (request.preview_kind === 'diff') {
    preview = <DiffRows rows={parseUnified(request.preview)} language="python" />;
  } else if (request.preview) {
    const language = request.preview_kind === 'command' ? 'shell' : request.language;
    preview = <Code code={request.preview} language={language} />;
  }
  return (
    <div className="jp-plan-approval" role="group" aria-label="Approval needed">
      <div className="jp-plan-subtitle">{sentence}</div>
      {covered && request.args.cell_type !== 'markdown' && (
        <div className="jp-plan-hint">Allowing this also allows running the cell.</div>
      )}
      <div className="jp-plan-preview">{preview}</div>
      <details className="jp-plan-rule">
        <summary>Why you are asked</summary>
        <div>{ruleLine(request)}</div>
        <div>
          Tool <code>{request.tool}</code>
        </div>
      </details>
      <div className="jp-plan-actions">
        <AllowOnce className="jp-plan-allow-once" onAnswer={props.onAnswer}>
          Allow
        </AllowOnce>
        <button
          type="button"
          className="jp-plan-button jp-plan-allow-build"
          title={`Allow ${request.tool} without asking until this build ends`}
          onClick={() => props.onAnswer('allow', { scope: 'build' })}
        >
          Allow for this build
        </button>
        <button
          type="button"
          className="jp-plan-button jp-plan-danger jp-plan-deny"
          onClick={() => props.onAnswer('deny', { reason })}
        >
          Deny
        </button>
        <input
          className="jp-plan-deny-reason jp-mod-styled"
          type="text"
          aria-label="Why not? (optional, told to the model)"
          placeholder="Why not? (optional, told to the model)"
          value={reason}
          onChange={e => setReason(e.target.value)}
        />
      </div>
    </div>
  );
}
