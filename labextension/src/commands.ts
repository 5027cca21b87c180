/**
 * Palette commands: the approval mode, a new %%plan cell, the sidebar, and every run
 * action (approve, iterate, reject, stop, retry, build, undo, rebuild). A run action shows
 * and is enabled only when a plan of the active notebook offers it now — the plan of the
 * active cell first, else the newest plan that does.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { IPlanBridges, PanelBridge } from './bridge/bridges';
import { ACTION_LABELS, confirmAction } from './cards/actions';
import { IPlanEntry, entryActions } from './model';
import { JSONObject, RunAction } from './protocol';
import { cycleMode, perform } from './sidebar/plans';

export namespace CommandIDs {
  export const cycleMode = 'jupyter-plan:cycle-mode';
  export const insertPlanCell = 'jupyter-plan:insert-plan-cell';
  export const openSidebar = 'jupyter-plan:open-sidebar';
}

export const PALETTE_CATEGORY = 'Plan';
export const RUN_ACTIONS: RunAction[] = [
  'approve_auto_edit',
  'approve_default',
  'iterate',
  'reject',
  'stop',
  'retry',
  'resume',
  'build',
  'undo',
  'rebuild'
];

export function actionCommand(action: RunAction): string {
  return `jupyter-plan:${action.replace(/_/g, '-')}`;
}

/** The plan `action` would act on in `bridge`'s notebook (see the module doc). */
export function targetPlan(
  bridge: PanelBridge,
  action: RunAction,
  activeCellId: string | null
): IPlanEntry | null {
  const offering = bridge.model.plans.filter(e => entryActions(e).includes(action));
  const here = offering.find(
    e => activeCellId !== null && (e.cellId === activeCellId || e.plan.run?.cell_id === activeCellId)
  );
  return here ?? offering[offering.length - 1] ?? null;
}

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
  const target = (action: RunAction) => {
    const bridge = current();
    if (!bridge || !bridge.connected) {
      return null;
    }
    const active = tracker.currentWidget?.content.activeCell?.model.id ?? null;
    const entry = targetPlan(bridge, action, active);
    return entry ? { bridge, entry } : null;
  };

  app.commands.addCommand(CommandIDs.cycleMode, {
    label: 'Plan: switch the approval mode',
    caption:
      'Review each edit → Auto-accept edits → Read-only (plan); plan is skipped while the agent runs or an approval shows',
    isEnabled: () => current()?.connected ?? false,
    execute: async () => {
      const bridge = current();
      if (bridge) {
        await cycleMode(bridge);
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

  for (const action of RUN_ACTIONS) {
    app.commands.addCommand(actionCommand(action), {
      label: () => {
        const found = target(action);
        const name = `Plan: ${ACTION_LABELS[action]}`;
        return found ? `${name} (${found.entry.plan.title})` : name;
      },
      isEnabled: () => target(action) !== null,
      isVisible: () => target(action) !== null,
      execute: async () => {
        const found = target(action);
        if (!found) {
          return;
        }
        const args: JSONObject = {};
        if (action === 'iterate') {
          const answer = await InputDialog.getText({ title: 'What should change?' });
          if (!answer.button.accept || !answer.value?.trim()) {
            return;
          }
          args.feedback = answer.value.trim();
        } else if (!(await confirmAction(action, found.entry.plan.title))) {
          return;
        }
        await perform(found.bridge, found.entry, action, args);
      }
    });
  }

  if (palette) {
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category: PALETTE_CATEGORY });
    }
    for (const action of RUN_ACTIONS) {
      palette.addItem({ command: actionCommand(action), category: PALETTE_CATEGORY });
    }
  }
}
