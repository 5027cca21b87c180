/**
 * The Plans sidebar: the plans of the active notebook (live and saved), with Approve
 * (two build modes), Iterate, Build and Reject sending the frontend → kernel ops, and
 * the approval mode switcher. The view follows the active notebook; the model is the
 * notebook's PlansModel.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IPlanBridges, PanelBridge } from './bridge';
import { PlanCard } from './card';
import { planIcon } from './icon';
import { IPlanEntry, PlansModel, planFilePath } from './model';
import { APPROVAL_MODES, ApprovalMode, BuildMode, IPlanJSON, JSONObject } from './protocol';

export const MODE_LABELS: { [mode in ApprovalMode | 'yolo' | 'unset']: string } = {
  default: 'default (ask before edits)',
  auto_edit: 'auto-edit',
  plan: 'plan (read-only)',
  yolo: 'yolo (set by %plan mode)',
  unset: 'as approved (per plan)'
};

/** Send a frontend → kernel op and report failure to the person. */
export async function send(
  bridge: PanelBridge,
  op: string,
  args: JSONObject,
  onError: (message: string) => void
): Promise<void> {
  try {
    await bridge.request(op, args);
  } catch (error) {
    onError(error instanceof Error ? error.message : String(error));
  }
}

/** Ask the kernel to switch mode; the model follows the kernel's answer. */
export async function setMode(bridge: PanelBridge, mode: ApprovalMode): Promise<void> {
  await bridge.request('set_mode', { mode });
  bridge.model.mode = mode;
}

interface IPlanItemProps {
  entry: IPlanEntry;
  pending: boolean;
  connected: boolean;
  /** The plan's Markdown file (a server path), when JupyterLab can open it. */
  file: string | null;
  onOpenFile: (path: string, plan: IPlanJSON) => void;
  onSelect: () => void;
  onOp: (op: string, args: JSONObject) => void;
}

function PlanItem(props: IPlanItemProps): JSX.Element {
  const { entry, connected, onOp } = props;
  const [feedback, setFeedback] = React.useState('');
  const [iterating, setIterating] = React.useState(false);
  const plan = entry.plan;
  const id = plan.id;
  const reviewable = plan.status === 'awaiting_review' || plan.status === 'drafting';
  const approve = (mode: BuildMode) => onOp('approve', { plan_id: id, build_mode: mode });
  return (
    <li className={`jp-plan-item${props.pending ? ' jp-plan-item-pending' : ''}`}>
      <div
        className="jp-plan-item-select"
        role="button"
        tabIndex={0}
        title={entry.cellId ? 'Go to the %%plan cell' : ''}
        onClick={props.onSelect}
        onKeyDown={e => (e.key === 'Enter' ? props.onSelect() : undefined)}
      >
        <PlanCard plan={plan} />
      </div>
      {!entry.live && <div className="jp-plan-item-saved">saved in the notebook</div>}
      {props.file && (
        <a
          className="jp-plan-item-file"
          href="#"
          title={props.file}
          onClick={e => {
            e.preventDefault();
            props.onOpenFile(props.file as string, entry.plan);
          }}
        >
          Open the plan file
        </a>
      )}
      {connected && entry.live && (
        <div className="jp-plan-actions">
          {reviewable && (
            <>
              <button
                className="jp-mod-styled jp-mod-accept jp-plan-approve-auto"
                onClick={() => approve('auto_edit')}
              >
                Approve (auto-edit)
              </button>
              <button
                className="jp-mod-styled jp-plan-approve-review"
                onClick={() => approve('default')}
              >
                Approve (review edits)
              </button>
              <button className="jp-mod-styled jp-plan-iterate" onClick={() => setIterating(!iterating)}>
                Iterate
              </button>
              <button
                className="jp-mod-styled jp-mod-warn jp-plan-reject"
                onClick={() => onOp('reject', { plan_id: id })}
              >
                Reject
              </button>
            </>
          )}
          {plan.status === 'approved' && (
            <button
              className="jp-mod-styled jp-mod-accept jp-plan-build"
              onClick={() => onOp('build', { plan_id: id })}
            >
              Build
            </button>
          )}
        </div>
      )}
      {iterating && (
        <div className="jp-plan-feedback">
          <textarea
            className="jp-plan-feedback-text"
            placeholder="What should change?"
            value={feedback}
            onChange={e => setFeedback(e.target.value)}
          />
          <button
            className="jp-mod-styled jp-mod-accept jp-plan-feedback-send"
            disabled={!feedback.trim()}
            onClick={() => {
              onOp('iterate', { plan_id: id, feedback: feedback.trim() });
              setFeedback('');
              setIterating(false);
            }}
          >
            Send feedback
          </button>
        </div>
      )}
    </li>
  );
}

export class PlansSidebar extends ReactWidget {
  private _bridge: PanelBridge | null = null;
  private _error: string | null = null;

  constructor(
    tracker: INotebookTracker,
    private _bridges: IPlanBridges,
    private _openFile: (path: string, plan: IPlanJSON) => void = () => undefined
  ) {
    super();
    this.id = 'jupyter-plan-sidebar';
    this.addClass('jp-plan-sidebar');
    this.title.icon = planIcon;
    this.title.caption = 'Plans';
    tracker.currentChanged.connect((_, panel) => this._follow(panel), this);
    this._follow(tracker.currentWidget);
  }

  get model(): PlansModel | null {
    return this._bridge?.model ?? null;
  }

  private _follow(panel: NotebookPanel | null): void {
    const next = panel ? (this._bridges.get(panel) ?? null) : null;
    if (next === this._bridge) {
      return;
    }
    if (this._bridge) {
      this._bridge.model.changed.disconnect(this._changed, this);
      this._bridge.model.modeChanged.disconnect(this._changed, this);
    }
    this._bridge = next;
    this._error = null;
    if (next) {
      next.model.changed.connect(this._changed, this);
      next.model.modeChanged.connect(this._changed, this);
    }
    this.update();
  }

  private _changed(): void {
    this.update();
  }

  private _op(op: string, args: JSONObject): void {
    const bridge = this._bridge;
    if (!bridge) {
      return;
    }
    this._error = null;
    void send(bridge, op, args, message => {
      this._error = message;
      this.update();
    });
  }

  private _select(entry: IPlanEntry): void {
    const bridge = this._bridge;
    if (!bridge || !entry.cellId) {
      return;
    }
    const notebook = bridge.panel.content;
    const index = notebook.widgets.findIndex(w => w.model.id === entry.cellId);
    if (index >= 0) {
      notebook.activeCellIndex = index;
      void notebook.scrollToCell(notebook.widgets[index]);
    }
  }

  protected render(): JSX.Element {
    const bridge = this._bridge;
    if (!bridge) {
      return <div className="jp-plan-empty">Open a notebook to see its plans.</div>;
    }
    const model = bridge.model;
    const connection = model.connection;
    const connected = bridge.connected;
    const plans = model.plans;
    return (
      <div className="jp-plan-sidebar-body">
        <div className="jp-plan-sidebar-header">
          <span className="jp-plan-sidebar-path" title={bridge.path}>
            {bridge.path}
          </span>
          <label className="jp-plan-mode">
            Mode{' '}
            <select
              className="jp-plan-mode-select"
              value={model.mode ?? 'unset'}
              disabled={!connected}
              onChange={e => {
                const mode = e.target.value as ApprovalMode;
                setMode(bridge, mode).catch((error: Error) => {
                  this._error = error.message;
                  this.update();
                });
              }}
            >
              {model.mode === null && (
                <option value="unset" disabled>
                  {MODE_LABELS.unset}
                </option>
              )}
              {model.mode === 'yolo' && (
                <option value="yolo" disabled>
                  {MODE_LABELS.yolo}
                </option>
              )}
              {APPROVAL_MODES.map(mode => (
                <option key={mode} value={mode}>
                  {MODE_LABELS[mode]}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className={`jp-plan-connection jp-plan-connection-${connection.kind}`}>
          {connection.kind === 'connected' && 'live: connected to the kernel'}
          {connection.kind === 'connecting' && 'connecting to the kernel…'}
          {connection.kind === 'disconnected' &&
            'not connected (run %load_ext jupyter_plan in this notebook)'}
          {connection.kind === 'refused' && `refused: ${connection.message}`}
        </div>
        {this._error && <div className="jp-plan-error">{this._error}</div>}
        {plans.length === 0 ? (
          <div className="jp-plan-empty">No plans yet: run a %%plan cell.</div>
        ) : (
          <ul className="jp-plan-list">
            {plans.map(entry => (
              <PlanItem
                key={entry.plan.id}
                entry={entry}
                pending={model.pendingApproval === entry.plan.id}
                connected={connected}
                file={planFilePath(bridge.path, entry.plan.file)}
                onOpenFile={this._openFile}
                onSelect={() => this._select(entry)}
                onOp={(op, args) => this._op(op, args)}
              />
            ))}
          </ul>
        )}
      </div>
    );
  }
}
