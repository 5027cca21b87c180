/**
 * The mime renderer for `application/vnd.jupyter-plan+json`: a saved plan renders as a
 * card in a notebook opened without a kernel.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { PlanCard } from './card';
import { IPlanJSON, PLAN_MIME, isPlanJSON } from './protocol';

export class PlanRenderer extends ReactWidget implements IRenderMime.IRenderer {
  private _plan: IPlanJSON | null = null;

  constructor() {
    super();
    this.addClass('jp-plan-rendered');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data: unknown = model.data[PLAN_MIME];
    this._plan = isPlanJSON(data) ? data : null;
    this.update();
  }

  protected render(): JSX.Element {
    if (!this._plan) {
      return <div className="jp-plan-invalid">This plan output is not readable.</div>;
    }
    return <PlanCard plan={this._plan} detailed />;
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [PLAN_MIME],
  defaultRank: 10, // before the bundle's text/markdown fallback
  createRenderer: () => new PlanRenderer()
};

const extension: IRenderMime.IExtension = {
  id: 'jupyter-plan:renderer',
  description: 'Renders saved jupyter-plan plans as cards.',
  rendererFactory,
  rank: 10,
  dataType: 'json'
};

export default extension;
