import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

/**
 * The jupyter-plan front end. For now it only announces itself; the plan
 * sidebar, the notebook bridge and the plan renderer come in later issues.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-plan:plugin',
  description: 'Plan Mode for Jupyter: plan, approve, build.',
  autoStart: true,
  activate: (app: JupyterFrontEnd): void => {
    console.log('jupyter-plan extension activated');
  }
};

export default plugin;
