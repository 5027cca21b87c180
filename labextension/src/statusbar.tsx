/**
 * The status bar item: the approval mode of the active notebook; a click cycles it.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IPlanBridges, PanelBridge } from './bridge';
import { modeLabel } from './model';

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
    return (
      <span
        className={`jp-plan-statusbar-mode jp-plan-mode-${bridge.model.mode ?? 'unset'}`}
        title="Plan approval mode for %build (click to cycle)"
        onClick={this._onClick}
      >
        Plan: {modeLabel(bridge.model.mode)}
      </span>
    );
  }
}
