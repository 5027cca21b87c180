/**
 * The native run card as a Jupyter widget view: the kernel's `RunCard` widget
 * (jupyter_plan/ui/card.py) syncs one `state` trait; this view draws it with the shared
 * React cards and sends each click back as a custom message `{action, ...args}`.
 * Registered under the widget module `jupyter-plan` by the `jupyter-plan:cards` plugin.
 */
import { DOMWidgetModel, DOMWidgetView } from '@jupyter-widgets/base';
import * as React from 'react';
import { Root, createRoot } from 'react-dom/client';
import { RunCard } from './runcard';
import { Services, makeServices } from './services';
import { ICardState, KernelMode, isObject } from '../protocol';

export const MODULE_NAME = 'jupyter-plan';
export const MODULE_VERSION = '0.1.0';

/** How a cell id reads where `el` is shown ("cell 4"); set by the plugin. */
let locateCell: (el: HTMLElement, cellId: string) => string | null = () => null;

export function setCellLocator(locator: (el: HTMLElement, cellId: string) => string | null): void {
  locateCell = locator;
}

/** The approval mode of the session whose notebook shows `el`; set by the plugin. */
let locateMode: (el: HTMLElement) => KernelMode = () => null;

export function setModeLocator(locator: (el: HTMLElement) => KernelMode): void {
  locateMode = locator;
}

export function isCardState(value: unknown): value is ICardState {
  return (
    isObject(value) &&
    typeof value.phase === 'string' &&
    Array.isArray(value.actions) &&
    isObject(value.progress)
  );
}

export class RunCardModel extends DOMWidgetModel {
  defaults(): ReturnType<DOMWidgetModel['defaults']> {
    return {
      ...super.defaults(),
      _model_name: 'RunCardModel',
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: 'RunCardView',
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      state: {}
    };
  }

  static model_name = 'RunCardModel';
}

export class RunCardView extends DOMWidgetView {
  private _root: Root | null = null;

  render(): void {
    this.el.classList.add('jp-plan-run-card-view');
    this._root = createRoot(this.el);
    this.listenTo(this.model, 'change:state', () => this._draw());
    this._draw();
  }

  remove(): void {
    this._root?.unmount();
    this._root = null;
    super.remove();
  }

  private _draw(): void {
    const state: unknown = this.model.get('state');
    if (!this._root) {
      return;
    }
    if (!isCardState(state)) {
      this._root.render(<div className="jp-plan-card">Starting…</div>);
      return;
    }
    const services = {
      ...makeServices({}, cellId => locateCell(this.el, cellId)),
      sessionMode: () => locateMode(this.el)
    };
    this._root.render(
      <Services.Provider value={services}>
        <RunCard
          state={state}
          onAction={(action, args) => this.send({ action, ...(args ?? {}) })}
        />
      </Services.Provider>
    );
  }
}
