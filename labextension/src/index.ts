import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { IPlanBridges, PlanBridges } from './bridge';
import { CommandIDs, addCommands } from './commands';
import { openPlanFile } from './planview';
import { PlansSidebar } from './sidebar';
import { ModeStatus } from './statusbar';

/**
 * The live bridge: one `jupyter_plan` comm per notebook panel.
 */
const bridgePlugin: JupyterFrontEndPlugin<IPlanBridges> = {
  id: 'jupyter-plan:bridge',
  description: 'Lets a jupyter_plan kernel edit and run the cells of its open notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  provides: IPlanBridges,
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker): IPlanBridges => {
    return new PlanBridges(tracker);
  }
};

/**
 * The Plans sidebar, the status bar item, the palette commands and the settings.
 */
const uiPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-plan:plugin',
  description: 'Plan Mode for Jupyter: the Plans sidebar, mode indicator and commands.',
  autoStart: true,
  requires: [INotebookTracker, IPlanBridges],
  optional: [ICommandPalette, ILayoutRestorer, IStatusBar, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    bridges: IPlanBridges,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    statusBar: IStatusBar | null,
    settings: ISettingRegistry | null
  ): void => {
    const sidebar = new PlansSidebar(tracker, bridges, (path, plan) =>
      openPlanFile(app, path, plan)
    );
    let rank = 600;
    let showStatus = true;
    addCommands(app, tracker, bridges, sidebar.id, palette);

    const place = () => app.shell.add(sidebar, 'left', { rank });
    let status: ModeStatus | null = null;
    if (statusBar) {
      status = new ModeStatus(tracker, bridges, () => {
        void app.commands.execute(CommandIDs.cycleMode);
      });
      statusBar.registerStatusItem('jupyter-plan:mode', {
        item: status,
        align: 'left',
        rank: 10,
        isActive: () => showStatus
      });
    }
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
    if (settings) {
      settings
        .load(uiPlugin.id)
        .then(loaded => {
          const read = () => {
            showStatus = loaded.get('showStatusBar').composite !== false;
            const wanted = loaded.get('sidebarRank').composite;
            rank = typeof wanted === 'number' ? wanted : 600;
            status?.update();
          };
          read();
          loaded.changed.connect(read);
          place();
        })
        .catch(reason => {
          console.warn('jupyter-plan: could not load settings', reason);
          place();
        });
    } else {
      place();
    }
  }
};

const plugins: JupyterFrontEndPlugin<unknown>[] = [bridgePlugin, uiPlugin];

export default plugins;
export * from './protocol';
export { PlansModel } from './model';
export { IPlanBridges } from './bridge';
export { CommandIDs } from './commands';
