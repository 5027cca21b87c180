/**
 * The status bar item: the approval mode of the active notebook's kernel, named as in the
 * sidebar and the cards. A click, Enter or Space cycles it; it is a button to assistive
 * technology and reachable with Tab.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IPlanBridges, PanelBridge } from '../bridge/bridges';
import { modeLabel } from '../model';
import { shownMode } from './modes';

/** The mode as a button: click, Enter or Space switches to the next one. */
export function ModeButton(props: { bridge: PanelBridge; onClick: () => void }): JSX.Element {
  const model = props.bridge.model;
  const mode = shownMode(model);
  const label = modeLabel(mode);
  const fromSettings = model.mode === null && mode !== null;
  return (
    <span
      className={`jp-plan-statusbar-mode jp-plan-mode-${mode ?? 'unset'}`}
      role="button"
      tabIndex={0}
      aria-label={`Approval mode for %build: ${label}. Activate to switch to the next mode.`}
      title={`Approval mode${fromSettings ? ' (default_approval_mode setting)' : ''}: click, Enter, Space or Alt+Shift+P switches it`}
      onClick={props.onClick}
      onKeyDown={e => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          props.onClick();
        }
      }}
    >
      Approval: {label}
    </span>
  );
}

/**
 * The same item in a notebook's toolbar, for frontends without a status bar (Notebook 7).
 */
export class ToolbarModeStatus extends ReactWidget {
  constructor(
    private _bridge: PanelBridge,
    private _onClick: (bridge: PanelBridge) => void
  ) {
    super();
    this.addClass('jp-plan-statusbar');
    this.addClass('jp-plan-toolbar-mode');
    _bridge.model.modeChanged.connect(() => this.update());
    _bridge.model.changed.connect(() => this.update());
  }

  protected render(): JSX.Element | null {
    if (!this._bridge.connected) {
      return null;
    }
    return <ModeButton bridge={this._bridge} onClick={() => this._onClick(this._bridge)} />;
  }
}

export class ModeStatus extends ReactWidget {
  private _bridge: PanelBridge | null = null;

  constructor(
    tracker: INotebookTracker,
    private _bridges: IPlanBridges,
    private _onClick: () => void
  ) {
    super();
    this.addClass('jp-plan-statusbar');
    tracker.currentChanged.connect((_, panel) => this._follow(panel), this);
    this._follow(tracker.currentWidget);
  }

  private _follow(panel: NotebookPanel | null): void {
    this._bridge?.model.modeChanged.disconnect(this._update, this);
    this._bridge?.model.changed.disconnect(this._update, this);
    this._bridge = panel ? (this._bridges.get(panel) ?? null) : null;
    this._bridge?.model.modeChanged.connect(this._update, this);
    this._bridge?.model.changed.connect(this._update, this);
    this.update();
  }

  private _update(): void {
    this.update();
  }

  protected render(): JSX.Element | null {
    const bridge = this._bridge;
    if (!bridge || !bridge.connected) {
      return null;
    }
    return <ModeButton bridge={bridge} onClick={this._onClick} />;
  }
}
