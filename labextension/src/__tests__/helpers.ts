import { YNotebook } from '@jupyter/ydoc';
import type { INotebookHost } from '../bridge/handlers';
import type { ICellRun, JSONObject } from '../protocol';

const made: YNotebook[] = [];

/** Dispose every notebook made (their awareness timers keep Jest alive otherwise). */
export function disposeAll(): void {
  for (const nb of made.splice(0)) {
    nb.dispose();
  }
}

export interface IFakeHost extends INotebookHost {
  sharedModel: YNotebook;
  ran: string[][];
  active: string | null;
}

/** A notebook host on a real YNotebook; runs succeed unless the source says `raise`. */
export function fakeHost(
  cells: Array<{ id: string; source: string; cell_type?: 'code' | 'markdown' | 'raw'; outputs?: JSONObject[] }>
): IFakeHost {
  const nb = YNotebook.create();
  made.push(nb);
  nb.insertCells(
    0,
    cells.map(c =>
      (c.cell_type ?? 'code') === 'code'
        ? { id: c.id, cell_type: 'code', source: c.source, metadata: {}, outputs: c.outputs ?? [], execution_count: null }
        : { id: c.id, cell_type: c.cell_type as 'markdown', source: c.source, metadata: {} }
    )
  );
  nb.undoManager.clear();
  const host: IFakeHost = {
    sharedModel: nb,
    ran: [],
    active: null,
    activeCellId: () => host.active,
    runCells: async (ids: string[]): Promise<ICellRun[]> => {
      host.ran.push(ids);
      const runs: ICellRun[] = [];
      let count = 0;
      for (let i = 0; i < ids.length; i++) {
        const cell = nb.cells.find(c => c.id === ids[i])!;
        count += 1;
        if (cell.getSource().includes('raise')) {
          runs.push({ cell_id: ids[i], status: 'error', execution_count: count, outputs: [], error: 'ValueError: boom' });
          return runs.concat(ids.slice(i + 1).map(id => ({ cell_id: id, status: 'aborted' as const, execution_count: null, outputs: [], error: null })));
        }
        runs.push({ cell_id: ids[i], status: 'ok', execution_count: count, outputs: [], error: null });
      }
      return runs;
    }
  };
  return host;
}

export function sources(host: IFakeHost): string[] {
  return host.sharedModel.cells.map(c => c.getSource());
}

export function cellIds(host: IFakeHost): string[] {
  return host.sharedModel.cells.map(c => c.id);
}
