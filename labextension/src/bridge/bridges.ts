/**
 * The frontend half of the live bridge: one `jupyter_plan` comm per notebook panel.
 *
 * Each panel opens the comm to its own kernel with `{path, notebook_id, capabilities,
 * protocol}`, re-opens it when the kernel restarts or changes, when the notebook is
 * renamed, and when the kernel announces that its target now exists (`%load_ext`).
 * Panels are found by path or kernel, never by "the current widget".
 */
import type { ISharedNotebook } from '@jupyter/ydoc';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import { Cell, CodeCell } from '@jupyterlab/cells';
import { NotebookActions, NotebookPanel, INotebookTracker } from '@jupyterlab/notebook';
import { Token } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { Channel } from './channel';
import { INotebookHost, cellData, newCellId, oneStep, trailingEmpty } from './handlers';
import { PlansModel } from '../model';
import {
  CAPABILITIES,
  ICellRun,
  IOpenData,
  JSONObject,
  JSONValue,
  PROTOCOL_VERSION,
  TARGET,
  isObject
} from '../protocol';

/** The bridges of all open notebook panels. */
export interface IPlanBridges {
  /** The bridge of a panel (made on demand for a tracked panel). */
  get(panel: NotebookPanel): PanelBridge | undefined;
  /** Bridges editing the notebook at this server path. */
  forPath(path: string): PanelBridge[];
  /** Bridges whose panel runs this kernel. */
  forKernel(kernelId: string): PanelBridge[];
  readonly added: ISignal<IPlanBridges, PanelBridge>;
}

export const IPlanBridges = new Token<IPlanBridges>(
  'jupyter-plan:IPlanBridges',
  'The jupyter_plan comm bridges of the open notebook panels.'
);

const REFRESH_DELAY = 250;

/** One panel's bridge: the comm, the op handlers' host, the plans model. */
export class PanelBridge implements INotebookHost {
  readonly model: PlansModel;
  private _channel: Channel | null = null;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _refresh: ReturnType<typeof setTimeout> | null = null;
  private _restarting = false;
  private _disposed = false;

  constructor(readonly panel: NotebookPanel) {
    this.model = new PlansModel(panel.context.path);
    const session = panel.sessionContext;
    session.kernelChanged.connect(this._onKernelChanged, this);
    session.statusChanged.connect(this._onStatus, this);
    panel.context.pathChanged.connect(() => this.reopen(), this);
    panel.disposed.connect(() => this.dispose(), this);
    void panel.context.ready.then(() => {
      this.sharedModel.changed.connect(this._scheduleRefresh, this);
      this._refreshSaved();
    });
    void session.ready.then(() => this._onKernelChanged());
  }

  get path(): string {
    return this.panel.context.path;
  }

  get sharedModel(): ISharedNotebook {
    const model = this.panel.content.model;
    if (!model) {
      throw new Error('the notebook is not loaded yet');
    }
    return model.sharedModel;
  }

  get kernelId(): string | null {
    return this.panel.sessionContext.session?.kernel?.id ?? null;
  }

  get connected(): boolean {
    return this._channel?.ready ?? false;
  }

  activeCellId(): string | null {
    return this.panel.content.activeCell?.model.id ?? null;
  }

  /** A frontend → kernel request (`approve`, `iterate`, `reject`, `build`, `set_mode`). */
  request(op: string, args: JSONObject = {}): Promise<JSONValue> {
    if (!this._channel || !this._channel.ready) {
      return Promise.reject(
        new Error(
          `${this.path} is not connected to a kernel running jupyter_plan ` +
            '(run %load_ext jupyter_plan in the notebook)'
        )
      );
    }
    return this._channel.request(op, args);
  }

  /**
   * Insert a code cell with `source` after `afterCellId` (at the end, before the empty cells
   * there, without it) and run it; resolves with the new cell's id once it is running.
   */
  insertAndRun(source: string, afterCellId: string | null): string {
    const model = this.sharedModel;
    const ids = model.cells.map(c => c.id);
    const after = afterCellId === null ? -1 : ids.indexOf(afterCellId);
    const at = after >= 0 ? after + 1 : trailingEmpty(model);
    const id = newCellId(new Set(ids));
    oneStep(model, () => {
      model.insertCell(at, { id, cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
    });
    void this.runCells([id]).catch(error => console.error('jupyter-plan: run failed', error));
    return id;
  }

  async runCells(cellIds: string[]): Promise<ICellRun[]> {
    const runs: ICellRun[] = [];
    const notebook = this.panel.content;
    for (let i = 0; i < cellIds.length; i++) {
      const id = cellIds[i];
      const widget = notebook.widgets.find(w => w.model.id === id);
      if (!widget) {
        runs.push({
          cell_id: id,
          status: 'error',
          execution_count: null,
          outputs: [],
          error: `CellNotFound: cell ${id} vanished before it ran`
        });
        return runs.concat(cellIds.slice(i + 1).map(aborted));
      }
      if (widget.model.type !== 'code') {
        await NotebookActions.runCells(notebook, [widget], this.panel.sessionContext);
        runs.push({ cell_id: id, status: 'ok', execution_count: null, outputs: [], error: null });
        continue;
      }
      const done = await NotebookActions.runCells(
        notebook,
        [widget as Cell],
        this.panel.sessionContext
      );
      const run = codeRun(widget as CodeCell, done);
      runs.push(run);
      if (run.status !== 'ok') {
        return runs.concat(cellIds.slice(i + 1).map(aborted));
      }
    }
    return runs;
  }

  /** Close the comm (if any) and open a new one to the panel's current kernel. */
  reopen(): void {
    if (this._disposed) {
      return;
    }
    this._closeChannel();
    const kernel = this.panel.sessionContext.session?.kernel ?? null;
    if (!kernel) {
      return;
    }
    this._watchKernel(kernel);
    const model = this.model;
    model.connection = { kind: 'connecting' };
    const comm = kernel.createComm(TARGET);
    const channel = new Channel(
      {
        send: data => {
          if (!comm.isDisposed) {
            comm.send(data);
          }
        },
        close: () => {
          if (!comm.isDisposed) {
            comm.close();
          }
        }
      },
      this,
      model
    );
    // Never hand the kernel connection our promise: it handles messages one after the
    // other, so awaiting run_cells there would block the very outputs we wait for.
    comm.onMsg = msg => {
      void channel.onMessage(msg.content.data as JSONValue).catch(error => {
        console.error('jupyter-plan: a kernel request failed', error);
      });
    };
    comm.onClose = msg => channel.onClose(msg.content.data as JSONValue);
    this._channel = channel;
    const data: IOpenData = {
      path: this.path,
      notebook_id: this.panel.id,
      capabilities: CAPABILITIES,
      protocol: PROTOCOL_VERSION
    };
    try {
      comm.open(data);
    } catch (error) {
      channel.onClose();
      console.warn('jupyter-plan: could not open the comm', error);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._closeChannel();
    if (this._refresh !== null) {
      clearTimeout(this._refresh);
    }
    Signal.clearData(this);
  }

  private _closeChannel(): void {
    const channel = this._channel;
    this._channel = null;
    channel?.dispose();
  }

  private _watchKernel(kernel: Kernel.IKernelConnection): void {
    if (this._kernel === kernel) {
      return;
    }
    this._kernel = kernel;
    // The kernel rings this target (`announce`) when jupyter_plan is loaded after us.
    kernel.registerCommTarget(TARGET, (_comm, msg) => {
      const data = msg.content.data;
      if (isObject(data) && data.op === 'announce' && !this.connected) {
        this.reopen();
      }
    });
  }

  private _onKernelChanged(): void {
    this._kernel = null;
    this.model.clearLive();
    this.reopen();
  }

  private _onStatus(_: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this._restarting = true;
      this._closeChannel();
      this.model.clearLive();
    } else if (status === 'idle' && this._restarting) {
      this._restarting = false;
      this._kernel = null; // comm targets do not survive a restart everywhere
      this.reopen();
    }
  }

  private _scheduleRefresh(): void {
    if (this._refresh !== null) {
      return;
    }
    this._refresh = setTimeout(() => {
      this._refresh = null;
      this._refreshSaved();
    }, REFRESH_DELAY);
  }

  private _refreshSaved(): void {
    if (this._disposed || !this.panel.content.model) {
      return;
    }
    this.model.setSavedFromCells(this.sharedModel.cells.map(cellData));
  }
}

function aborted(cellId: string): ICellRun {
  return { cell_id: cellId, status: 'aborted', execution_count: null, outputs: [], error: null };
}

/** A finished code cell's run, from its model (errors are outputs too). */
export function codeRun(cell: CodeCell, completed: boolean): ICellRun {
  const outputs = cell.model.outputs.toJSON() as unknown as JSONObject[];
  const failure = outputs.find(o => o.output_type === 'error');
  const count = cell.model.executionCount;
  if (failure) {
    return {
      cell_id: cell.model.id,
      status: 'error',
      execution_count: count,
      outputs,
      error: `${String(failure.ename)}: ${String(failure.evalue)}`
    };
  }
  return {
    cell_id: cell.model.id,
    status: completed ? 'ok' : 'aborted',
    execution_count: count,
    outputs,
    error: completed ? null : 'the cell did not run (kernel busy, restarted or interrupted)'
  };
}

/** Every tracked panel's bridge. */
export class PlanBridges implements IPlanBridges {
  private _bridges = new Map<NotebookPanel, PanelBridge>();
  private _added = new Signal<IPlanBridges, PanelBridge>(this);

  constructor(readonly tracker: INotebookTracker) {
    tracker.forEach(panel => this._track(panel));
    tracker.widgetAdded.connect((_, panel) => this._track(panel));
  }

  get added(): ISignal<IPlanBridges, PanelBridge> {
    return this._added;
  }

  get(panel: NotebookPanel): PanelBridge | undefined {
    return this._bridges.get(panel) ?? (this.tracker.has(panel) ? this._track(panel) : undefined);
  }

  forPath(path: string): PanelBridge[] {
    return [...this._bridges.values()].filter(b => b.path === path);
  }

  forKernel(kernelId: string): PanelBridge[] {
    return [...this._bridges.values()].filter(b => b.kernelId === kernelId);
  }

  private _track(panel: NotebookPanel): PanelBridge {
    const known = this._bridges.get(panel);
    if (known) {
      return known;
    }
    const bridge = new PanelBridge(panel);
    this._bridges.set(panel, bridge);
    panel.disposed.connect(() => this._bridges.delete(panel));
    this._added.emit(bridge);
    return bridge;
  }
}
