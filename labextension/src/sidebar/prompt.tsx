/**
 * The sidebar's prompt box: type a task, choose Agent or Plan, press Enter. The task becomes
 * a `%%agent` or `%%plan` cell below the active cell, run at once, so the notebook stays the
 * record (the cell can be read, re-run and replayed like one typed by hand). The dropdown
 * shows the session's approval mode (Plan when it is plan) and sets it.
 */
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';
import { PanelBridge } from '../bridge/bridges';
import { modeLabel, PlansModel } from '../model';
import { ApprovalMode } from '../protocol';
import { choiceOf, planBlocked, PromptChoice, promptSource, shownMode } from './modes';

/** The last non-plan mode of each notebook: choosing Agent again goes back to it. */
const agentModes = new WeakMap<PlansModel, ApprovalMode>();

export interface IPromptBoxProps {
  /** The active notebook's bridge, or null when no notebook is open. */
  bridge: PanelBridge | null;
  /** Switch the session's mode (the sidebar's setMode, which reports failures); resolves
   * true once the kernel took it. */
  onMode: (bridge: PanelBridge, mode: ApprovalMode) => Promise<boolean>;
}

/** Insert `source` below the active cell, run it, and make it the active cell. */
function insertBelowActive(bridge: PanelBridge, source: string): void {
  const notebook = bridge.panel.content;
  const active = notebook.activeCell?.model.id ?? null;
  const id = bridge.insertAndRun(source, active);
  const index = notebook.widgets.findIndex(w => w.model.id === id);
  if (index >= 0) {
    notebook.activeCellIndex = index;
    void notebook.scrollToCell(notebook.widgets[index]);
  }
}

export function PromptBox(props: IPromptBoxProps): JSX.Element {
  const { bridge } = props;
  const [text, setText] = React.useState('');
  const [notice, setNotice] = React.useState<string | null>(null);
  const [localChoice, setLocalChoice] = React.useState<PromptChoice>('agent');
  // chosen but not yet confirmed by the kernel: a task typed meanwhile goes as chosen
  const [pending, setPending] = React.useState<PromptChoice | null>(null);
  const model = bridge?.model ?? null;
  const connected = bridge?.connected ?? false;
  const mode = model ? shownMode(model) : null;
  if (model && (mode === 'default' || mode === 'auto_edit')) {
    agentModes.set(model, mode);
  }
  // with no mode set (or yolo) the agent works as docs/agent.md says: yolo, else default
  const agentMode = model
    ? mode === 'yolo'
      ? mode
      : (agentModes.get(model) ?? 'default')
    : 'default';
  const choice: PromptChoice = connected ? (pending ?? choiceOf(mode)) : localChoice;
  const blocked = model ? planBlocked(model) : null;

  const choose = (next: PromptChoice) => {
    setNotice(null);
    setLocalChoice(next);
    if (bridge && connected && next !== choice) {
      setPending(next);
      const mode = next === 'plan' ? 'plan' : (agentModes.get(bridge.model) ?? 'default');
      void props.onMode(bridge, mode).then(() => setPending(null));
    }
  };

  const submit = () => {
    const source = promptSource(choice, text);
    if (source === null) {
      return; // nothing typed: nothing to ask
    }
    if (!bridge) {
      setNotice('Open a notebook first: the task goes into a new cell of it.');
      return;
    }
    if (!connected) {
      setNotice('Run %load_ext jupyter_plan in this notebook first.');
      return;
    }
    setNotice(null);
    insertBelowActive(bridge, source);
    setText('');
  };

  const agentLabel = `Agent — ${modeLabel(agentMode)}`;
  return (
    <form
      className="jp-plan-prompt"
      aria-label="Ask the agent"
      onSubmit={e => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        className="jp-plan-prompt-text jp-mod-styled"
        aria-label="Task for the agent"
        placeholder="Ask the agent… (Enter runs it in a new cell, Shift+Enter for a new line)"
        rows={3}
        value={text}
        onChange={e => setText(e.target.value)}
        onKeyDown={e => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <div className="jp-plan-prompt-bar">
        <HTMLSelect
          className="jp-plan-prompt-mode"
          aria-label="Mode of the task"
          title={
            blocked
              ? `Plan is not offered while ${blocked}`
              : 'Agent works in the session’s approval mode; Plan drafts a plan for review'
          }
          value={choice}
          onChange={e => choose(e.currentTarget.value as PromptChoice)}
          options={[
            { value: 'agent', label: agentLabel },
            { value: 'plan', label: 'Plan — read-only', disabled: blocked !== null && choice !== 'plan' }
          ]}
        />
        <button
          className="jp-plan-button jp-plan-primary jp-plan-prompt-send"
          type="submit"
          disabled={!text.trim()}
          title="Insert the task as a cell below the active cell and run it (Enter)"
        >
          {choice === 'plan' ? 'Plan' : 'Ask'}
        </button>
      </div>
      {notice && (
        <div className="jp-plan-prompt-notice" role="status">
          {notice}
        </div>
      )}
    </form>
  );
}
