/**
 * Palette commands: cycle the approval mode, insert a %%plan cell, open the sidebar.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { IPlanBridges } from './bridge';
import { nextMode } from './model';
import { setMode } from './sidebar';

export namespace CommandIDs {
  export const cycleMode = 'jupyter-plan:cycle-mode';
  export const insertPlanCell = 'jupyter-plan:insert-plan-cell';
  export const openSidebar = 'jupyter-plan:open-sidebar';
}

export const PALETTE_CATEGORY = 'Plan';

export function addCommands(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  bridges: IPlanBridges,
  sidebarId: string,
  palette: ICommandPalette | null
): void {
  const current = () => {
    const panel = tracker.currentWidget;
    return panel ? (bridges.get(panel) ?? null) : null;
  };

  app.commands.addCommand(CommandIDs.cycleMode, {
    label: 'Plan: cycle approval mode',
    caption: 'default → auto_edit → plan',
    isEnabled: () => current()?.connected ?? false,
    execute: async () => {
      const bridge = current();
      if (bridge) {
        await setMode(bridge, nextMode(bridge.model.mode));
      }
    }
  });

  app.commands.addCommand(CommandIDs.insertPlanCell, {
    label: 'Plan: insert a %%plan cell',
    isEnabled: () => tracker.currentWidget !== null,
    execute: () => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return;
      }
      const notebook = panel.content;
      NotebookActions.insertBelow(notebook);
      NotebookActions.changeCellType(notebook, 'code');
      const cell = notebook.activeCell;
      if (cell) {
        cell.model.sharedModel.setSource('%%plan\n');
        notebook.mode = 'edit';
        cell.editor?.setCursorPosition({ line: 1, column: 0 });
      }
    }
  });

  app.commands.addCommand(CommandIDs.openSidebar, {
    label: 'Plan: open the Plans sidebar',
    execute: () => {
      app.shell.activateById(sidebarId);
    }
  });

  if (palette) {
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category: PALETTE_CATEGORY });
    }
  }
}
