/**
 * A run's buttons: exactly the actions its phase offers (the kernel says which), named the
 * same in the card, the sidebar and the palette. Iterate opens a feedback box; Undo build
 * and Rebuild ask for confirmation first.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';
import { RunAction } from '../protocol';

export const ACTION_LABELS: { [action in RunAction]: string } = {
  approve_auto_edit: 'Approve — auto-accept edits',
  approve_default: 'Approve — review each edit',
  iterate: 'Iterate',
  reject: 'Reject',
  stop: 'Stop',
  retry: 'Retry',
  resume: 'Run again',
  build: 'Build',
  undo: 'Undo build',
  rebuild: 'Rebuild',
  live: 'Re-plan live (calls the model)',
  keep: 'Keep the recorded plan'
};

const TIPS: { [action: string]: string } = {
  approve_auto_edit: 'Approve; the build may edit and run cells without asking',
  approve_default: 'Approve; the build asks before each edit or run',
  iterate: 'Tell the agent what to change; it writes a new revision',
  reject: 'Drop this plan',
  stop: 'Stop now; the draft (or the notebook as before the build) is kept',
  retry: 'Run it again',
  resume: 'Run it again',
  build: 'Insert a %build cell below the plan and run it',
  undo: 'Put the notebook back as it was before the build',
  rebuild: 'Build the plan again',
  live: 'Run this cell again with the model, recording anew (the notebook changed since the recording)',
  keep: 'Show the recorded plan as it is: no model, no replay'
};

const STYLES: { [action: string]: string } = {
  approve_auto_edit: 'jp-plan-primary',
  approve_default: 'jp-plan-primary',
  build: 'jp-plan-primary',
  retry: 'jp-plan-primary',
  resume: 'jp-plan-primary',
  reject: 'jp-plan-danger',
  stop: 'jp-plan-danger',
  undo: 'jp-plan-danger'
};

const CONFIRM: { [action: string]: { title: string; body: string; accept: string } } = {
  undo: {
    title: 'Undo the build?',
    body: 'The notebook goes back to how it was before the build: built cells are removed and edited cells restored.',
    accept: 'Undo build'
  },
  rebuild: {
    title: 'Build the plan again?',
    body: 'A new %build --rebuild cell runs the plan again; cells it builds are added to the notebook.',
    accept: 'Rebuild'
  }
};

/** Ask before an action that changes the notebook; true to go ahead. */
export async function confirmAction(action: RunAction, what: string): Promise<boolean> {
  const ask = CONFIRM[action];
  if (!ask) {
    return true;
  }
  const result = await showDialog({
    title: ask.title,
    body: `${what}: ${ask.body}`,
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: ask.accept })]
  });
  return result.button.accept;
}

export function ActionBar(props: {
  actions: RunAction[];
  /** What the confirmation names ("Revenue by region"). */
  what: string;
  onAction: (action: RunAction, args?: { feedback?: string }) => void;
  compact?: boolean;
  /** Comments waiting to go with Iterate: feedback may then be empty. */
  comments?: number;
}): JSX.Element | null {
  const [iterating, setIterating] = React.useState(false);
  const [feedback, setFeedback] = React.useState('');
  const actions = props.actions;
  if (!actions.length) {
    return null;
  }
  const open = iterating && actions.includes('iterate');
  return (
    <div className="jp-plan-actionbar">
      <div className="jp-plan-actions">
        {actions.map(action => (
          <button
            key={action}
            type="button"
            className={`jp-plan-button ${STYLES[action] ?? ''} jp-plan-act-${action}`}
            title={TIPS[action]}
            aria-expanded={action === 'iterate' ? open : undefined}
            onClick={async () => {
              if (action === 'iterate') {
                setIterating(!open);
                return;
              }
              if (await confirmAction(action, props.what)) {
                props.onAction(action);
              }
            }}
          >
            {ACTION_LABELS[action] ?? action}
          </button>
        ))}
      </div>
      {open && (
        <form
          className="jp-plan-feedback"
          onSubmit={e => {
            e.preventDefault();
            if (feedback.trim() || props.comments) {
              props.onAction('iterate', { feedback: feedback.trim() });
              setFeedback('');
              setIterating(false);
            }
          }}
        >
          <textarea
            className="jp-plan-feedback-text jp-mod-styled"
            aria-label="What should change?"
            placeholder="What should change?"
            value={feedback}
            autoFocus
            onChange={e => setFeedback(e.target.value)}
          />
          <button
            type="submit"
            className="jp-plan-button jp-plan-primary jp-plan-feedback-send"
            disabled={!feedback.trim() && !props.comments}
          >
            Send feedback
          </button>
        </form>
      )}
    </div>
  );
}
