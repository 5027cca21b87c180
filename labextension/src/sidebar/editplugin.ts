/**
 * Edit and Turn into a page, wherever they are pressed: the sidebar calls the opener set
 * here, and the cards (which never touch the comm) raise DOM events answered here for the
 * notebook they are shown in.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IPlanBridges, PanelBridge } from '../bridge/bridges';
import { EDIT_EVENT, TO_PAGE_EVENT } from '../cards/comments';
import { openKernelFile, setEditorOpener } from './editor';

export const editPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-plan:edit',
  description: "Opens plans and pages in JupyterLab's editor, saved through the kernel.",
  autoStart: true,
  requires: [INotebookTracker, IPlanBridges, IEditorServices],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    bridges: IPlanBridges,
    services: IEditorServices
  ): void => {
    const open = (bridge: PanelBridge, kind: 'plan' | 'page', id: string) =>
      openKernelFile(app, services, bridge, kind, id).catch((error: Error) =>
        console.warn(`jupyter-plan: cannot open ${kind} ${id}: ${error.message}`)
      );
    setEditorOpener(open);
    const bridgeOf = (event: Event): PanelBridge | undefined => {
      const target = event.target instanceof Node ? event.target : null;
      const panel =
        (target ? tracker.find(p => p.node.contains(target)) : undefined) ?? tracker.currentWidget;
      return panel ? bridges.get(panel) : undefined;
    };
    const planOf = (event: Event): string => (event as CustomEvent).detail?.planId ?? '';
    window.addEventListener(EDIT_EVENT, event => {
      const bridge = bridgeOf(event);
      if (bridge && planOf(event)) {
        void open(bridge, 'plan', planOf(event));
      }
    });
    window.addEventListener(TO_PAGE_EVENT, event => {
      const bridge = bridgeOf(event);
      if (bridge && planOf(event)) {
        bridge
          .request('page_from_plan', { plan_id: planOf(event) })
          .catch((error: Error) => console.warn(`jupyter-plan: ${error.message}`));
      }
    });
  }
};
