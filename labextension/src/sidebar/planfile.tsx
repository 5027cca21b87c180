/**
 * Opening a plan's Markdown file from the sidebar.
 *
 * The default plan directory (`.jupyter_plan/plans`) is hidden, and jupyter-server refuses
 * hidden paths unless `ContentsManager.allow_hidden` is set, so for a path with a hidden
 * segment the sidebar shows the plan document it already has (from the plan's JSON) in a
 * read-only tab; other paths open as files.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { isHiddenPath } from '../model';
import { IPlanJSON } from '../protocol';

export function openPlanFile(app: JupyterFrontEnd, path: string, plan: IPlanJSON): void {
  if (!isHiddenPath(path)) {
    void app.commands.execute('docmanager:open', { path });
    return;
  }
  const id = `jupyter-plan-file-${plan.id}`;
  const open = [...app.shell.widgets('main')].find(w => w.id === id);
  if (open) {
    app.shell.activateById(id);
    return;
  }
  const content = ReactWidget.create(
    <div className="jp-plan-file-view">
      <div className="jp-plan-file-path">{path} (read-only)</div>
      <pre className="jp-plan-file-text">{plan.markdown ?? ''}</pre>
    </div>
  );
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = path.split('/').pop() ?? path;
  widget.title.caption = path;
  widget.title.closable = true;
  app.shell.add(widget, 'main');
  app.shell.activateById(id);
}
