/**
 * The kernel → frontend op handlers, DOM-free: they act on a notebook's shared model
 * (`ISharedNotebook`, the same with or without real-time collaboration) and a runner.
 *
 * Rules (the reference is jupyter_plan/testing/frontend.py): cells are addressed by id;
 * every id is checked before anything changes, so a vanished id answers `CellNotFound`
 * and never edits another cell; each edit is one undo step (`sharedModel.transact`,
 * with the undo manager's capture window closed before and after).
 */
import type { ISharedCell, ISharedNotebook, SharedCell } from '@jupyter/ydoc';
import {
  BridgeError,
  CellNotFound,
  ICellData,
  ICellRun,
  INewCell,
  IReply,
  IRequest,
  JSONObject,
  JSONValue,
  PartialJSONValue,
  errorPayload,
  isObject
} from '../protocol';

/** What the handlers need of a notebook panel. */
export interface INotebookHost {
  readonly sharedModel: ISharedNotebook;
  /** The id of the active cell (the `%%plan` cell, when the person is on it). */
  activeCellId(): string | null;
  /** Run these cells (already checked to exist) in order; stop at the first error. */
  runCells(cellIds: string[]): Promise<ICellRun[]>;
}

export type Handler = (host: INotebookHost, args: JSONObject) => Promise<JSONValue>;

/** Checkpoints of one notebook: token → cells as JSON (ids kept). */
export class Checkpoints {
  private _store = new Map<string, SharedCell.Cell[]>();
  private _next = 0;

  save(cells: SharedCell.Cell[]): string {
    const token =
      Date.now().toString(16) +
      (this._next++).toString(16) +
      Math.random().toString(16).slice(2, 10);
    this._store.set(token, cells);
    return token;
  }

  get(token: string): SharedCell.Cell[] | undefined {
    return this._store.get(token);
  }
}

function str(args: JSONObject, key: string): string {
  const value = args[key];
  if (typeof value !== 'string') {
    throw new BridgeError(`${key} must be a string`, 'TypeError');
  }
  return value;
}

function optStr(args: JSONObject, key: string): string | null {
  const value = args[key];
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'string') {
    throw new BridgeError(`${key} must be a string or null`, 'TypeError');
  }
  return value;
}

function strList(args: JSONObject, key: string): string[] {
  const value = args[key];
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    throw new BridgeError(`${key} must be a list of strings`, 'TypeError');
  }
  return value as string[];
}

/** One cell as the protocol reports it. */
export function cellData(cell: ISharedCell): ICellData {
  const json = cell.toJSON() as unknown as JSONObject;
  const type = cell.cell_type;
  const outputs =
    type === 'code' && Array.isArray(json.outputs) ? (json.outputs as JSONObject[]) : [];
  const count = type === 'code' ? json.execution_count : null;
  return {
    id: cell.id,
    cell_type: type === 'markdown' || type === 'raw' ? type : 'code',
    source: cell.getSource(),
    outputs,
    execution_count: typeof count === 'number' ? count : null,
    metadata: isObject(json.metadata) ? json.metadata : {}
  };
}

function ids(model: ISharedNotebook): string[] {
  return model.cells.map(c => c.id);
}

function indexOf(model: ISharedNotebook, cellId: string): number {
  const at = ids(model).indexOf(cellId);
  if (at < 0) {
    throw new CellNotFound(cellId);
  }
  return at;
}

/** Raise CellNotFound for the first unknown id, before anything changes. */
export function requireIds(model: ISharedNotebook, wanted: string[]): void {
  const known = new Set(ids(model));
  for (const cellId of wanted) {
    if (!known.has(cellId)) {
      throw new CellNotFound(cellId);
    }
  }
}

/** Where "at the end" is: before the empty code cells that end the notebook, if any. */
export function trailingEmpty(model: ISharedNotebook): number {
  let at = model.cells.length;
  while (at > 0) {
    const cell = model.cells[at - 1];
    const outputs = (cell.toJSON() as { outputs?: unknown[] }).outputs ?? [];
    if (cell.cell_type !== 'code' || cell.getSource().trim() || outputs.length) {
      break;
    }
    at--;
  }
  return at;
}

/** A fresh 8-hex-digit id (as nbformat makes them), unique in this notebook. */
export function newCellId(taken: Set<string>): string {
  for (;;) {
    let id = '';
    for (let i = 0; i < 8; i++) {
      id += Math.floor(Math.random() * 16).toString(16);
    }
    if (!taken.has(id)) {
      return id;
    }
  }
}

/** Run `edit` as exactly one undo step. */
export function oneStep(model: ISharedNotebook, edit: () => void): void {
  const manager = undoManagerOf(model);
  manager?.stopCapturing();
  model.transact(edit, true);
  manager?.stopCapturing();
}

function undoManagerOf(model: ISharedNotebook): { stopCapturing(): void } | null {
  const manager = (model as unknown as { undoManager?: { stopCapturing?: unknown } })
    .undoManager;
  if (manager && typeof manager.stopCapturing === 'function') {
    return manager as { stopCapturing(): void };
  }
  return null;
}

/** A new cell, with the id the kernel proposes (stable across runners; kept when free). */
type IProposedCell = INewCell & { id?: string };

function readNewCell(value: JSONValue): IProposedCell {
  if (!isObject(value) || typeof value.source !== 'string') {
    throw new BridgeError('each new cell needs a string source', 'TypeError');
  }
  const type = value.cell_type ?? 'code';
  if (type !== 'code' && type !== 'markdown' && type !== 'raw') {
    throw new BridgeError(`unknown cell_type ${JSON.stringify(type)}`, 'ValueError');
  }
  const metadata = value.metadata ?? {};
  if (!isObject(metadata)) {
    throw new BridgeError('metadata must be an object', 'TypeError');
  }
  const id = typeof value.id === 'string' && value.id ? value.id : undefined;
  return { cell_type: type, source: value.source, metadata, id };
}

function toShared(cell: INewCell, id: string): SharedCell.Cell {
  const base = { id, source: cell.source, metadata: cell.metadata };
  if (cell.cell_type === 'code') {
    return { ...base, cell_type: 'code', outputs: [], execution_count: null };
  }
  return { ...base, cell_type: cell.cell_type } as SharedCell.Cell;
}

const checkpoints = new WeakMap<ISharedNotebook, Checkpoints>();

function checkpointsOf(model: ISharedNotebook): Checkpoints {
  let store = checkpoints.get(model);
  if (!store) {
    store = new Checkpoints();
    checkpoints.set(model, store);
  }
  return store;
}

export const HANDLERS: { [op: string]: Handler } = {
  async get_notebook(host) {
    const cells = host.sharedModel.cells.map(cellData);
    return { cells, active_cell_id: host.activeCellId() } as unknown as JSONObject;
  },

  async insert_cells(host, args) {
    const model = host.sharedModel;
    if (!Array.isArray(args.cells)) {
      throw new BridgeError('cells must be a list', 'TypeError');
    }
    const cells = args.cells.map(readNewCell);
    const after = optStr(args, 'after');
    const before = optStr(args, 'before');
    let at = trailingEmpty(model); // "at the end": before the empty cell Shift+Enter left
    if (after !== null) {
      at = indexOf(model, after) + 1;
    } else if (before !== null) {
      at = indexOf(model, before);
    }
    const taken = new Set(ids(model));
    const made = cells.map(cell => {
      const id = cell.id && !taken.has(cell.id) ? cell.id : newCellId(taken);
      taken.add(id);
      return toShared(cell, id);
    });
    oneStep(model, () => {
      model.insertCells(at, made);
    });
    return { cell_ids: made.map(c => c.id as string) };
  },

  async replace_cell(host, args) {
    const model = host.sharedModel;
    const cellId = str(args, 'cell_id');
    const source = str(args, 'source');
    const cell = model.cells[indexOf(model, cellId)];
    oneStep(model, () => {
      cell.setSource(source);
    });
    return null;
  },

  async delete_cells(host, args) {
    const model = host.sharedModel;
    const gone = strList(args, 'cell_ids');
    requireIds(model, gone);
    const doomed = new Set(gone);
    oneStep(model, () => {
      for (let i = model.cells.length - 1; i >= 0; i--) {
        if (doomed.has(model.cells[i].id)) {
          model.deleteCell(i);
        }
      }
    });
    return null;
  },

  async set_cell_metadata(host, args) {
    const model = host.sharedModel;
    const cellId = str(args, 'cell_id');
    const key = str(args, 'key');
    if (!('value' in args)) {
      throw new BridgeError('value is required', 'TypeError');
    }
    const value = args.value as PartialJSONValue;
    const cell = model.cells[indexOf(model, cellId)];
    oneStep(model, () => {
      cell.setMetadata(key, JSON.parse(JSON.stringify(value)));
    });
    return null;
  },

  async run_cells(host, args) {
    const wanted = strList(args, 'cell_ids');
    requireIds(host.sharedModel, wanted);
    const runs = await host.runCells(wanted);
    return { runs } as unknown as JSONObject;
  },

  async checkpoint(host) {
    const cells = host.sharedModel.cells.map(
      c => JSON.parse(JSON.stringify(c.toJSON())) as SharedCell.Cell
    );
    return { token: checkpointsOf(host.sharedModel).save(cells) };
  },

  async restore_checkpoint(host, args) {
    const model = host.sharedModel;
    const token = str(args, 'token');
    const cells = checkpointsOf(model).get(token);
    if (!cells) {
      throw new BridgeError(`no checkpoint ${JSON.stringify(token)} in this notebook`);
    }
    const copy = cells.map(c => JSON.parse(JSON.stringify(c)) as SharedCell.Cell);
    oneStep(model, () => restoreCells(model, copy));
    return null;
  }
};

/**
 * Make the notebook's cells `wanted`, touching only what differs: a cell that is as it was
 * stays the same cell object, so its outputs keep their display ids (a later update of the
 * plan's output still finds it) and its widgets are not redrawn.
 */
export function restoreCells(model: ISharedNotebook, wanted: SharedCell.Cell[]): void {
  // model.cells is only brought up to date when the transaction ends: track it here
  const now = model.cells.map(c => ({ id: c.id, json: JSON.stringify(c.toJSON()) }));
  const keep = new Set(wanted.map(c => c.id as string));
  for (let i = now.length - 1; i >= 0; i--) {
    if (!keep.has(now[i].id)) {
      model.deleteCell(i);
      now.splice(i, 1);
    }
  }
  wanted.forEach((cell, i) => {
    const json = JSON.stringify(cell);
    if (now[i] && now[i].id === cell.id && now[i].json === json) {
      return;
    }
    const at = now.findIndex(c => c.id === cell.id);
    if (at >= 0) {
      model.deleteCell(at);
      now.splice(at, 1);
    }
    model.insertCell(i, cell);
    now.splice(i, 0, { id: cell.id as string, json });
  });
  if (now.length > wanted.length) {
    model.deleteCellRange(wanted.length, now.length);
  }
}

/** The reply to one kernel request; never throws. */
export async function handleRequest(host: INotebookHost, request: IRequest): Promise<IReply> {
  const handler = Object.prototype.hasOwnProperty.call(HANDLERS, request.op)
    ? HANDLERS[request.op]
    : undefined;
  try {
    if (!handler) {
      throw new BridgeError(`unknown op ${JSON.stringify(request.op)}`, '_Unknown');
    }
    const result = await handler(host, isObject(request.args) ? request.args : {});
    return { id: request.id, ok: true, result };
  } catch (error) {
    return { id: request.id, ok: false, error: errorPayload(error) };
  }
}
