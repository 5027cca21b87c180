import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { Widget } from '@lumino/widgets';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { IPlanBridges, PlanBridges } from './bridge/bridges';
import { provideServices } from './cards/services';
import { CommandIDs, addCommands } from './commands';
import { editPlugin } from './sidebar/editplugin';
import { openPlanFile } from './sidebar/planfile';
import { PlansSidebar } from './sidebar/plans';
import { ModeStatus, ToolbarModeStatus } from './sidebar/statusbar';
import { shownMode } from './sidebar/modes';
import { cycleMode } from './sidebar/plans';
import { enableCapability } from './protocol';
import {
  MODULE_NAME,
  MODULE_VERSION,
  RunCardModel,
  RunCardView,
  setCellLocator,
  setModeLocator
} from './cards/widget';

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
/**
 * The native run cards: the kernel's `RunCard` widgets drawn by the shared React cards, with
 * JupyterLab's rendermime (sanitised Markdown) and CodeMirror (highlighted code). Panels
 * announce the `cards` capability only once this is registered, so a kernel never shows a
 * card this frontend cannot draw.
 */
const cardsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-plan:cards',
  description: 'Draws plan, question, approval and build cards natively.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IJupyterWidgetRegistry, IRenderMimeRegistry, IEditorLanguageRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    widgets: IJupyterWidgetRegistry | null,
    rendermime: IRenderMimeRegistry | null,
    languages: IEditorLanguageRegistry | null
  ): void => {
    provideServices({
      sanitizer: rendermime?.sanitizer,
      markdownParser: rendermime?.markdownParser,
      latexTypesetter: rendermime?.latexTypesetter,
      linkHandler: rendermime?.linkHandler,
      languages
    });
    setCellLocator((el, cellId) => {
      let found: string | null = null;
      tracker.forEach(panel => {
        if (found === null && panel.node.contains(el)) {
          const index = panel.content.widgets.findIndex(w => w.model.id === cellId);
          found = index >= 0 ? `cell ${index + 1}` : null;
        }
      });
      return found;
    });
    if (!widgets) {
      console.warn('jupyter-plan: no widget manager (jupyterlab_widgets): cards fall back');
      return;
    }
    widgets.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { RunCardModel, RunCardView }
    });
    enableCapability('cards');
  }
};

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
    // a card's "Stay in <mode>" names the mode of the notebook it is shown in
    setModeLocator(el => {
      const panel = tracker.find(p => p.node.contains(el));
      const bridge = panel ? bridges.get(panel) : undefined;
      return bridge ? shownMode(bridge.model) : null;
    });
    // the palette's run actions follow the plans' states
    const refresh = () => app.commands.notifyCommandChanged();
    bridges.added.connect((_, bridge) => bridge.model.changed.connect(refresh));

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
    if (!statusBar) {
      // Notebook 7 has no status bar: the mode sits in each notebook's toolbar, and the
      // Plans panel is listed by name in View → Left Sidebar
      sidebar.title.label = 'Plans';
      app.docRegistry.addWidgetExtension('Notebook', {
        createNew: (widget: Widget) => {
          const panel = widget as NotebookPanel;
          const bridge = bridges.get(panel);
          if (!bridge) {
            return;
          }
          const item = new ToolbarModeStatus(bridge, b => {
            void cycleMode(b).catch(reason =>
              console.warn('jupyter-plan: could not switch the mode', reason)
            );
          });
          panel.toolbar.insertItem(10, 'jupyterPlanMode', item);
          return item;
        }
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

const plugins: JupyterFrontEndPlugin<unknown>[] = [bridgePlugin, cardsPlugin, uiPlugin, editPlugin];

export default plugins;
export * from './protocol';
export { PlansModel } from './model';
export { IPlanBridges } from './bridge/bridges';
export { CommandIDs } from './commands';
