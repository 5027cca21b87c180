/**
 * The Plans sidebar: the plans of the active notebook (live and saved) drawn with the same
 * components as the cards, each with a badge when a question or an approval waits, and
 * exactly the actions its run offers now; plus the approval-mode switcher. The view follows
 * the active notebook; the model is the notebook's PlansModel.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IPlanBridges, PanelBridge } from '../bridge/bridges';
import { ActionBar } from '../cards/actions';
import { PersonBar } from '../cards/comments';
import { ErrorNotice } from '../cards/error';
import { PlanHeader, StepList } from '../cards/plan';
import { planIcon } from '../icon';
import {
  IPlanEntry,
  OTHER_PLANS_SHOWN,
  PlansModel,
  entryActions,
  isKernelMode,
  planFilePath,
  shownPlans,
  waiting
} from '../model';
import {
  APPROVAL_MODES,
  ApprovalMode,
  IPlanJSON,
  JSONObject,
  KernelMode,
  RunAction
} from '../protocol';
import { nextModeOf, shownMode } from './modes';
import { openInEditor } from './editor';
import { PagesSection } from './pages';
import { PromptBox } from './prompt';

/** The approval modes, named as everywhere else (jupyter_plan/ui/phases.py MODE_LABELS). */
export const MODE_LABELS: { [mode in ApprovalMode | 'yolo' | 'unset']: string } = {
  default: 'Review each edit',
  auto_edit: 'Auto-accept edits',
  plan: 'Read-only (plan)',
  yolo: 'Allow everything (yolo)',
  unset: 'As approved'
};

/** Ask the kernel to switch mode. The model shows it at once (a second press of the cycle
 * goes on from it, not from the mode before), and goes back if the kernel refuses. */
export function setMode(bridge: PanelBridge, mode: ApprovalMode): Promise<void> {
  return askMode(bridge, mode, 'set_mode', { mode });
}

/** The mode cycle (Alt+Shift+P, the status bar and toolbar items): the kernel decides the
 * next mode (it knows at once when a run stops; this panel learns it a push later). The
 * model shows this panel's guess at once, then the kernel's answer. */
export function cycleMode(bridge: PanelBridge): Promise<void> {
  // `from`: the mode shown when pressed, so quick presses stay in step with the kernel
  const from = shownMode(bridge.model);
  return askMode(bridge, nextModeOf(bridge.model), 'cycle_mode', { from });
}

/** `op` switches the kernel's mode: `shown` at once, then the mode the kernel answers. */
async function askMode(
  bridge: PanelBridge,
  shown: ApprovalMode,
  op: string,
  args: JSONObject
): Promise<void> {
  const before = bridge.model.mode;
  bridge.model.beginModeChange(shown);
  let answer: KernelMode = shown;
  try {
    const mode = ((await bridge.request(op, args)) as JSONObject | null)?.mode;
    answer = isKernelMode(mode) ? mode : shown;
  } catch (error) {
    bridge.model.endModeChange(before);
    throw error;
  }
  bridge.model.endModeChange(answer);
}

/** Do `action` on a plan of `bridge`'s notebook, as the sidebar and the palette do. */
export async function perform(
  bridge: PanelBridge,
  entry: IPlanEntry,
  action: RunAction,
  args: JSONObject = {}
): Promise<void> {
  const id = entry.plan.id;
  if (action === 'build' || action === 'rebuild') {
    // a %build cell below the plan's cell, run here: the build is a cell of the notebook
    const source = action === 'rebuild' ? `%build --rebuild ${id}` : `%build ${id}`;
    bridge.insertAndRun(source, entry.cellId ?? entry.plan.run?.cell_id ?? null);
    return;
  }
  await bridge.request('act', { plan_id: id, action, ...args });
}

interface IPlanItemProps {
  entry: IPlanEntry;
  connected: boolean;
  /** The plan's Markdown file (a server path), when JupyterLab can open it. */
  file: string | null;
  onOpenFile: (path: string, plan: IPlanJSON) => void;
  onSelect: () => void;
  onAction: (action: RunAction, args?: JSONObject) => void;
}

/** Open a plan's Markdown (kind "plan") or a page in the editor, saved through the kernel. */
export type OpenEditor = (bridge: PanelBridge, kind: 'plan' | 'page', id: string) => void;

/** Drawn again only when its plan (the kernel keeps an unchanged plan's object) or what
 * it shows changed: a big list redraws only the plan that moved. */
const PlanItem = React.memo(PlanItemView, (a, b) => {
  const same = (x: IPlanItemProps, y: IPlanItemProps) =>
    x.entry.plan === y.entry.plan &&
    x.entry.cellId === y.entry.cellId &&
    x.entry.live === y.entry.live &&
    x.connected === y.connected &&
    x.file === y.file;
  return same(a, b);
});

function PlanItemView(props: IPlanItemProps): JSX.Element {
  const { entry, connected } = props;
  const plan = entry.plan;
  const run = plan.run;
  const wait = waiting(plan);
  const actions = connected ? entryActions(entry) : [];
  return (
    <li
      className={`jp-plan-item${wait ? ' jp-plan-item-pending' : ''}`}
      data-plan-id={plan.id}
    >
      <div
        className="jp-plan-card jp-plan-item-card"
        data-plan-id={plan.id}
        role="button"
        tabIndex={0}
        title={entry.cellId || run?.cell_id ? 'Go to the cell of this plan' : ''}
        onClick={props.onSelect}
        onKeyDown={e => (e.key === 'Enter' ? props.onSelect() : undefined)}
      >
        <PlanHeader plan={plan} phase={run?.phase} phaseLabel={run?.label} />
        {wait && (
          <div className="jp-plan-badge" role="status">
            {wait}
          </div>
        )}
        {run?.live && run.activity && <div className="jp-plan-activity">{run.activity}</div>}
        {plan.steps.length > 0 && <StepList steps={plan.steps} detailed={false} />}
      </div>
      {run?.error && <ErrorNotice error={run.error} stopped={run.phase === 'stopped'} />}
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
      {connected && entry.live && <PersonBar plan={plan} always />}
      {actions.length > 0 && (
        <ActionBar actions={actions} what={plan.title} onAction={props.onAction} compact />
      )}
    </li>
  );
}

export class PlansSidebar extends ReactWidget {
  private _bridge: PanelBridge | null = null;
  private _error: string | null = null;
  private _filter = '';
  private _limit = OTHER_PLANS_SHOWN;

  constructor(
    tracker: INotebookTracker,
    private _bridges: IPlanBridges,
    private _openFile: (path: string, plan: IPlanJSON) => void = () => undefined,
    private _openEditor: OpenEditor = openInEditor
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
    this._filter = '';
    this._limit = OTHER_PLANS_SHOWN;
    if (next) {
      next.model.changed.connect(this._changed, this);
      next.model.modeChanged.connect(this._changed, this);
    }
    this._changed();
  }

  private _changed(): void {
    const count = this._bridge?.model.plans.filter(e => waiting(e.plan)).length ?? 0;
    this.title.caption = count ? `Plans (${count} waiting for you)` : 'Plans';
    this.title.className = count ? 'jp-plan-tab-waiting' : '';
    this.update();
  }

  private _act(entry: IPlanEntry, action: RunAction, args?: JSONObject): void {
    const bridge = this._bridge;
    if (!bridge) {
      return;
    }
    this._error = null;
    perform(bridge, entry, action, args).catch((error: Error) => {
      this._error = error.message;
      this.update();
    });
  }

  private _setMode(bridge: PanelBridge, mode: ApprovalMode): Promise<boolean> {
    this._error = null;
    return setMode(bridge, mode).then(
      () => true,
      (error: Error) => {
        this._error = error.message;
        this.update();
        return false;
      }
    );
  }

  private _select(entry: IPlanEntry): void {
    const bridge = this._bridge;
    const cellId = entry.cellId ?? entry.plan.run?.cell_id;
    if (!bridge || !cellId) {
      return;
    }
    const notebook = bridge.panel.content;
    const index = notebook.widgets.findIndex(w => w.model.id === cellId);
    if (index >= 0) {
      notebook.activeCellIndex = index;
      void notebook.scrollToCell(notebook.widgets[index]);
    }
  }

  protected render(): JSX.Element {
    const bridge = this._bridge;
    const prompt = <PromptBox bridge={bridge} onMode={(b, mode) => this._setMode(b, mode)} />;
    if (!bridge) {
      return (
        <div className="jp-plan-sidebar-body">
          {prompt}
          <div className="jp-plan-empty">Open a notebook to see its plans.</div>
        </div>
      );
    }
    const model = bridge.model;
    const mode = shownMode(model);
    const connection = model.connection;
    const connected = bridge.connected;
    const plans = model.plans;
    const { shown, hidden } = shownPlans(plans, this._filter, this._limit);
    return (
      <div className="jp-plan-sidebar-body">
        <div className="jp-plan-sidebar-header">
          <span className="jp-plan-sidebar-path" title={bridge.path}>
            {bridge.path}
          </span>
          <label className="jp-plan-mode">
            Approval mode{' '}
            <select
              className="jp-plan-mode-select jp-mod-styled"
              value={mode ?? 'unset'}
              disabled={!connected}
              onChange={e => void this._setMode(bridge, e.target.value as ApprovalMode)}
            >
              {mode === null && (
                <option value="unset" disabled>
                  {MODE_LABELS.unset}
                </option>
              )}
              {mode === 'yolo' && (
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
        {prompt}
        <div className={`jp-plan-connection jp-plan-connection-${connection.kind}`}>
          {connection.kind === 'connected' && 'Live: connected to the kernel'}
          {connection.kind === 'connecting' && 'Connecting to the kernel…'}
          {connection.kind === 'disconnected' &&
            'Not connected: run %load_ext jupyter_plan in this notebook'}
          {connection.kind === 'refused' && `Refused: ${connection.message}`}
        </div>
        {this._error && (
          <div className="jp-plan-notice jp-plan-error" role="alert">
            {this._error}
          </div>
        )}
        {model.loading > 0 && (
          <div className="jp-plan-empty jp-plan-loading" role="status">
            Loading {model.loading.toLocaleString('en-US')} older plans…
          </div>
        )}
        {(plans.length > OTHER_PLANS_SHOWN || this._filter) && (
          <input
            className="jp-plan-filter jp-mod-styled"
            type="search"
            placeholder={`Filter ${plans.length.toLocaleString('en-US')} plans`}
            aria-label="Filter plans by title or id"
            value={this._filter}
            onChange={e => {
              this._filter = e.target.value;
              this.update();
            }}
          />
        )}
        {hidden > 0 && (
          <button
            type="button"
            className="jp-plan-button jp-plan-show-older"
            onClick={() => {
              this._limit += OTHER_PLANS_SHOWN * 4;
              this.update();
            }}
          >
            {hidden > OTHER_PLANS_SHOWN * 4
              ? `Show ${OTHER_PLANS_SHOWN * 4} older plans (${hidden.toLocaleString('en-US')} not shown)`
              : `Show ${hidden} older plans`}
          </button>
        )}
        {plans.length === 0 ? (
          <div className="jp-plan-empty">No plans yet: run a %%plan cell.</div>
        ) : shown.length === 0 ? (
          <div className="jp-plan-empty">No plan matches “{this._filter.trim()}”.</div>
        ) : (
          <ul className="jp-plan-list" aria-label="Plans of this notebook">
            {shown.map(entry => (
              <PlanItem
                key={entry.plan.id}
                entry={entry}
                connected={connected}
                file={planFilePath(bridge.path, entry.plan.file)}
                onOpenFile={this._openFile}
                onSelect={() => this._select(entry)}
                onAction={(action, args) => this._act(entry, action, args)}
              />
            ))}
          </ul>
        )}
        <PagesSection
          bridge={bridge}
          connected={connected}
          onOpen={name => this._openEditor(bridge, 'page', name)}
        />
      </div>
    );
  }
}
