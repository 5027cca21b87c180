/**
 * The mime renderer for `application/vnd.jupyter-plan+json`: a plan saved in a notebook is
 * drawn with the same components as the live card (header, the full plan), so a saved
 * plan looks like the one reviewed, with or without a kernel.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { PlanDocument, PlanHeader } from './plan';
import { ICardServices, Services, makeServices } from './services';
import { IPlanJSON, PLAN_MIME, isPlanJSON } from '../protocol';

export class PlanRenderer extends ReactWidget implements IRenderMime.IRenderer {
  private _plan: IPlanJSON | null = null;
  private _services: ICardServices;

  constructor(options?: IRenderMime.IRendererOptions) {
    super();
    this.addClass('jp-plan-rendered');
    this._services = makeServices({
      sanitizer: options?.sanitizer,
      markdownParser: options?.markdownParser,
      resolver: options?.resolver,
      linkHandler: options?.linkHandler,
      latexTypesetter: options?.latexTypesetter
    });
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data: unknown = model.data[PLAN_MIME];
    this._plan = isPlanJSON(data) ? data : null;
    this.update();
  }

  protected render(): JSX.Element {
    const plan = this._plan;
    if (!plan) {
      return <div className="jp-plan-invalid">This plan output is not readable.</div>;
    }
    return (
      <Services.Provider value={this._services}>
        <div className="jp-plan-card jp-plan-saved-card" data-plan-id={plan.id}>
          <PlanHeader plan={plan} />
          <PlanDocument plan={plan} diffOpen={false} />
        </div>
      </Services.Provider>
    );
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [PLAN_MIME],
  defaultRank: 10, // before the bundle's text/markdown fallback
  createRenderer: options => new PlanRenderer(options)
};

const extension: IRenderMime.IExtension = {
  id: 'jupyter-plan:renderer',
  description: 'Renders saved jupyter-plan plans as cards.',
  rendererFactory,
  rank: 10,
  dataType: 'json'
};

export default extension;
