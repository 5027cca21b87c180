/**
 * A plan's Markdown or a page, open in JupyterLab's editor and saved through the kernel.
 *
 * The plan and page folders are hidden (`.jupyter_plan/…`) and jupyter-server refuses hidden
 * paths unless `ContentsManager.allow_hidden` is set, so the text is read and saved by the
 * kernel (`plan_file_read` / `plan_file_save`, `page_read` / `page_save`). Saving a plan is a
 * hand edit: the kernel keeps it as revision N+1 "edited by you", or names file:line of what
 * is wrong, the file keeping the person's text either way.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';
import { CodeEditor, CodeEditorWrapper, IEditorServices } from '@jupyterlab/codeeditor';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { PanelBridge } from '../bridge/bridges';
import type { JSONObject } from '../protocol';

export type KernelFileKind = 'plan' | 'page';

/** One line under the editor's toolbar: what the last save did. */
class SaveStatus extends ReactWidget {
  text = '';
  kind: 'ok' | 'error' | '' = '';

  constructor() {
    super();
    this.addClass('jp-plan-edit-status-line'); // its CSS height is what the header lays out
  }

  say(text: string, kind: 'ok' | 'error' | ''): void {
    this.text = text;
    this.kind = kind;
    this.update();
  }

  protected render(): JSX.Element {
    return (
      <span
        className={`jp-plan-edit-status jp-plan-edit-status-${this.kind || 'idle'}`}
        role={this.kind === 'error' ? 'alert' : 'status'}
      >
        {this.text}
      </span>
    );
  }
}

function editorId(kind: KernelFileKind, id: string): string {
  return `jupyter-plan-edit-${kind}-${id}`;
}

/** What a save answered, in the words the status line shows. */
export function describeSave(kind: KernelFileKind, answer: JSONObject): [string, 'ok' | 'error'] {
  if (typeof answer.error === 'string') {
    return [`Not kept: ${answer.error}. Your text is saved in the file; fix it and save.`, 'error'];
  }
  if (kind === 'page') {
    return ['Page saved', 'ok'];
  }
  if (answer.revision === null || answer.revision === undefined) {
    return ['No change: no new revision', 'ok'];
  }
  return [`Saved as revision ${answer.revision}, edited by you`, 'ok'];
}

/** Open (or bring forward) the editor of a plan (`id` = plan id) or a page (`id` = name). */
export async function openKernelFile(
  app: JupyterFrontEnd,
  services: IEditorServices,
  bridge: PanelBridge,
  kind: KernelFileKind,
  id: string
): Promise<void> {
  const wid = editorId(kind, id);
  const open = [...app.shell.widgets('main')].find(w => w.id === wid);
  if (open) {
    app.shell.activateById(wid);
    return;
  }
  const read = (await bridge.request(
    kind === 'plan' ? 'plan_file_read' : 'page_read',
    kind === 'plan' ? { plan_id: id } : { name: id }
  )) as JSONObject;
  const model = new CodeEditor.Model({ mimeType: 'text/x-ipythongfm' });
  model.sharedModel.setSource(String(read.text ?? ''));
  const content = new CodeEditorWrapper({
    factory: services.factoryService.newDocumentEditor,
    model,
    editorOptions: { config: { lineNumbers: true } }
  });
  content.addClass('jp-plan-editor');
  const widget = new MainAreaWidget({ content });
  widget.id = wid;
  widget.title.label = kind === 'plan' ? `${id}.md (plan)` : `${id}.md (page)`;
  widget.title.caption = String(read.path ?? id);
  widget.title.closable = true;
  const status = new SaveStatus();
  const save = async (): Promise<void> => {
    const text = model.sharedModel.getSource();
    status.say('Saving…', '');
    try {
      const answer = (await bridge.request(
        kind === 'plan' ? 'plan_file_save' : 'page_save',
        kind === 'plan' ? { plan_id: id, text } : { name: id, text }
      )) as JSONObject;
      const [said, how] = describeSave(kind, answer);
      if (kind === 'plan' && how === 'ok' && typeof answer.revision === 'number') {
        // the kernel rewrote the front matter (revision N+1, author): show the file as kept
        const kept = (await bridge.request('plan_file_read', { plan_id: id })) as JSONObject;
        if (typeof kept.text === 'string' && model.sharedModel.getSource() === text) {
          model.sharedModel.setSource(kept.text);
        }
      }
      status.say(said, how);
      if (typeof answer.line === 'number') {
        content.editor.setCursorPosition({ line: answer.line - 1, column: 0 });
        content.editor.focus();
      }
    } catch (error) {
      status.say(`Not saved: ${(error as Error).message}`, 'error');
    }
  };
  widget.toolbar.addItem(
    'save',
    new ToolbarButton({
      label: 'Save',
      className: 'jp-plan-edit-save',
      tooltip: kind === 'plan' ? 'Save: the kernel checks it and keeps it as your revision' : 'Save',
      onClick: () => void save()
    })
  );
  widget.contentHeader.addWidget(status); // in view, not in the toolbar's overflow
  content.node.addEventListener('keydown', event => {
    if ((event.ctrlKey || event.metaKey) && event.key === 's') {
      event.preventDefault();
      void save();
    }
  });
  app.shell.add(widget, 'main');
  app.shell.activateById(wid);
}

let opener: ((bridge: PanelBridge, kind: KernelFileKind, id: string) => void) | null = null;

/** Set by the edit plugin once JupyterLab's editor services are known. */
export function setEditorOpener(
  open: (bridge: PanelBridge, kind: KernelFileKind, id: string) => void
): void {
  opener = open;
}

/** Open a plan or page in the editor (nothing before the edit plugin has started). */
export function openInEditor(bridge: PanelBridge, kind: KernelFileKind, id: string): void {
  opener?.(bridge, kind, id);
}
