import { handleRequest } from '../bridge/handlers';
import type { IReply, JSONObject, JSONValue } from '../protocol';
import { cellIds, disposeAll, fakeHost, IFakeHost, sources } from './helpers';

afterEach(disposeAll);

let n = 0;
async function ask(host: IFakeHost, op: string, args: JSONObject = {}): Promise<IReply> {
  n += 1;
  return handleRequest(host, { id: `r${n}`, op, args });
}

async function ok(host: IFakeHost, op: string, args: JSONObject = {}): Promise<JSONValue> {
  const reply = await ask(host, op, args);
  if (!reply.ok) {
    throw new Error(`${op} failed: ${JSON.stringify(reply.error)}`);
  }
  return reply.result;
}

function three(): IFakeHost {
  return fakeHost([
    { id: 'a', source: 'x = 1' },
    { id: 'b', source: '# title', cell_type: 'markdown' },
    { id: 'c', source: 'print(x)', outputs: [{ output_type: 'stream', name: 'stdout', text: '1\n' }] }
  ]);
}

describe('get_notebook', () => {
  it('reports cells by id with type, source, outputs, metadata, count and the active cell', async () => {
    const host = three();
    host.active = 'c';
    const result = (await ok(host, 'get_notebook')) as JSONObject;
    expect(result.active_cell_id).toBe('c');
    const cells = result.cells as JSONObject[];
    expect(cells.map(c => c.id)).toEqual(['a', 'b', 'c']);
    expect(cells[1]).toEqual({ id: 'b', cell_type: 'markdown', source: '# title', outputs: [], execution_count: null, metadata: {} });
    expect(cells[2].outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '1\n' }]);
  });
});

describe('insert_cells', () => {
  it('inserts after, before, or at the end and answers fresh 8-hex ids', async () => {
    const host = three();
    const r1 = (await ok(host, 'insert_cells', { cells: [{ cell_type: 'code', source: 'y = 2', metadata: { tag: 1 } }], after: 'a' })) as JSONObject;
    const [y] = r1.cell_ids as string[];
    expect(y).toMatch(/^[0-9a-f]{8}$/);
    expect(cellIds(host)).toEqual(['a', y, 'b', 'c']);
    expect(host.sharedModel.cells[1].getMetadata('tag')).toBe(1);
    const r2 = (await ok(host, 'insert_cells', { cells: [{ source: 'z' }, { cell_type: 'markdown', source: 'm' }], before: 'a' })) as JSONObject;
    expect((r2.cell_ids as string[]).length).toBe(2);
    expect(sources(host).slice(0, 2)).toEqual(['z', 'm']);
    expect(host.sharedModel.cells[1].cell_type).toBe('markdown');
    await ok(host, 'insert_cells', { cells: [{ source: 'end' }], after: null, before: null });
    expect(sources(host).at(-1)).toBe('end');
  });

  it('keeps the id the kernel proposes when it is free (stable ids across runners)', async () => {
    const host = three();
    const r = (await ok(host, 'insert_cells', { cells: [{ source: 'p', id: 'feed0001' }, { source: 'q', id: 'a' }] })) as JSONObject;
    const [p, q] = r.cell_ids as string[];
    expect(p).toBe('feed0001');
    expect(q).not.toBe('a'); // taken: a fresh one instead
    expect(cellIds(host)).toEqual(['a', 'b', 'c', 'feed0001', q]);
  });

  it('"at the end" goes before the empty cells ending the notebook', async () => {
    const host = fakeHost([
      { id: 'a', source: 'x = 1' },
      { id: 'b', source: '%build' },
      { id: 'c', source: '' },
      { id: 'd', source: '  ' }
    ]);
    await ok(host, 'insert_cells', { cells: [{ source: 'built' }] });
    expect(sources(host)).toEqual(['x = 1', '%build', 'built', '', '  ']);
  });

  it('"after" wins over "before"', async () => {
    const host = three();
    await ok(host, 'insert_cells', { cells: [{ source: 'n' }], after: 'c', before: 'a' });
    expect(sources(host)).toEqual(['x = 1', '# title', 'print(x)', 'n']);
  });

  it('answers CellNotFound for an unknown anchor and changes nothing', async () => {
    const host = three();
    const reply = await ask(host, 'insert_cells', { cells: [{ source: 'n' }], after: 'gone' });
    expect(reply).toEqual({ id: reply.id, ok: false, error: expect.objectContaining({ type: 'CellNotFound', cell_id: 'gone' }) });
    expect(cellIds(host)).toEqual(['a', 'b', 'c']);
  });

  it('is one undo step however many cells', async () => {
    const host = three();
    await ok(host, 'insert_cells', { cells: [{ source: '1' }, { source: '2' }, { source: '3' }] });
    expect(host.sharedModel.cells.length).toBe(6);
    host.sharedModel.undo();
    expect(cellIds(host)).toEqual(['a', 'b', 'c']);
  });
});

describe('replace_cell', () => {
  it('replaces the source of the addressed cell only', async () => {
    const host = three();
    expect(await ok(host, 'replace_cell', { cell_id: 'c', source: 'print(x + 1)' })).toBeNull();
    expect(sources(host)).toEqual(['x = 1', '# title', 'print(x + 1)']);
  });

  it('a vanished id answers CellNotFound and never edits another cell', async () => {
    const host = three();
    await ok(host, 'delete_cells', { cell_ids: ['c'] });
    const reply = await ask(host, 'replace_cell', { cell_id: 'c', source: 'oops' });
    expect(reply.ok).toBe(false);
    expect(!reply.ok && reply.error).toEqual({ type: 'CellNotFound', message: expect.stringContaining('c'), cell_id: 'c' });
    expect(sources(host)).toEqual(['x = 1', '# title']);
  });

  it('each edit is its own undo step, even in quick succession', async () => {
    const host = three();
    await ok(host, 'replace_cell', { cell_id: 'a', source: 'x = 2' });
    await ok(host, 'replace_cell', { cell_id: 'a', source: 'x = 3' });
    host.sharedModel.undo();
    expect(sources(host)[0]).toBe('x = 2');
    host.sharedModel.undo();
    expect(sources(host)[0]).toBe('x = 1');
  });

  it('rejects a malformed request with a type error', async () => {
    const host = three();
    const reply = await ask(host, 'replace_cell', { cell_id: 'a' });
    expect(!reply.ok && reply.error.type).toBe('TypeError');
  });
});

describe('delete_cells', () => {
  it('deletes the cells, as one undo step', async () => {
    const host = three();
    await ok(host, 'delete_cells', { cell_ids: ['a', 'c'] });
    expect(cellIds(host)).toEqual(['b']);
    host.sharedModel.undo();
    expect(cellIds(host)).toEqual(['a', 'b', 'c']);
  });

  it('checks every id first: one unknown id deletes nothing', async () => {
    const host = three();
    const reply = await ask(host, 'delete_cells', { cell_ids: ['a', 'zz'] });
    expect(!reply.ok && reply.error.cell_id).toBe('zz');
    expect(cellIds(host)).toEqual(['a', 'b', 'c']);
  });
});

describe('set_cell_metadata', () => {
  it('sets one key on the addressed cell, undoably', async () => {
    const host = three();
    await ok(host, 'set_cell_metadata', { cell_id: 'b', key: 'jupyter_plan', value: { step: 'S1' } });
    expect(host.sharedModel.cells[1].getMetadata('jupyter_plan')).toEqual({ step: 'S1' });
    host.sharedModel.undo();
    expect(host.sharedModel.cells[1].getMetadata('jupyter_plan')).toBeUndefined();
  });

  it('an unknown cell answers CellNotFound', async () => {
    const reply = await ask(three(), 'set_cell_metadata', { cell_id: 'q', key: 'k', value: 1 });
    expect(!reply.ok && reply.error.type).toBe('CellNotFound');
  });
});

describe('run_cells', () => {
  it('runs through the host and answers the runs', async () => {
    const host = three();
    const result = (await ok(host, 'run_cells', { cell_ids: ['a', 'c'] })) as JSONObject;
    expect(host.ran).toEqual([['a', 'c']]);
    expect((result.runs as JSONObject[]).map(r => r.status)).toEqual(['ok', 'ok']);
  });

  it('errors are results: the failing cell is "error", the rest "aborted"', async () => {
    const host = fakeHost([{ id: 'a', source: 'raise ValueError' }, { id: 'b', source: '1' }]);
    const result = (await ok(host, 'run_cells', { cell_ids: ['a', 'b'] })) as JSONObject;
    const runs = result.runs as JSONObject[];
    expect(runs.map(r => r.status)).toEqual(['error', 'aborted']);
    expect(runs[0].error).toBe('ValueError: boom');
  });

  it('an unknown id answers CellNotFound before anything runs', async () => {
    const host = three();
    const reply = await ask(host, 'run_cells', { cell_ids: ['a', 'gone'] });
    expect(!reply.ok && reply.error.cell_id).toBe('gone');
    expect(host.ran).toEqual([]);
  });
});

describe('checkpoint / restore_checkpoint', () => {
  it('restores cells (ids, sources, outputs) as one undo step', async () => {
    const host = three();
    const { token } = (await ok(host, 'checkpoint')) as { token: string };
    expect(typeof token).toBe('string');
    await ok(host, 'insert_cells', { cells: [{ source: 'new' }], after: 'a' });
    await ok(host, 'replace_cell', { cell_id: 'c', source: 'changed' });
    await ok(host, 'delete_cells', { cell_ids: ['b'] });
    await ok(host, 'restore_checkpoint', { token });
    expect(cellIds(host)).toEqual(['a', 'b', 'c']);
    expect(sources(host)).toEqual(['x = 1', '# title', 'print(x)']);
    const outputs = host.sharedModel.cells[2].toJSON().outputs;
    expect(outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '1\n' }]);
    host.sharedModel.undo();
    expect(sources(host)).toEqual(['x = 1', 'new', 'changed']);
  });

  it('cells that are as they were stay the same cell objects', async () => {
    const host = three();
    const { token } = (await ok(host, 'checkpoint')) as { token: string };
    const first = host.sharedModel.cells[0];
    const second = host.sharedModel.cells[1];
    await ok(host, 'insert_cells', { cells: [{ source: 'built' }] });
    await ok(host, 'replace_cell', { cell_id: 'b', source: 'edited' });
    await ok(host, 'restore_checkpoint', { token });
    expect(sources(host)).toEqual(['x = 1', '# title', 'print(x)']);
    expect(host.sharedModel.cells[0]).toBe(first); // untouched: its outputs keep their ids
    expect(host.sharedModel.cells[1]).not.toBe(second); // changed: restored as it was
  });

  it('an unknown token is an error and changes nothing', async () => {
    const host = three();
    const reply = await ask(host, 'restore_checkpoint', { token: 'nope' });
    expect(reply.ok).toBe(false);
    expect(cellIds(host)).toEqual(['a', 'b', 'c']);
  });
});

describe('unknown ops', () => {
  it('answer an error with the request id', async () => {
    const reply = await handleRequest(three(), { id: 'x1', op: 'format_disk', args: {} });
    expect(reply).toEqual({ id: 'x1', ok: false, error: { type: '_Unknown', message: 'unknown op "format_disk"' } });
  });

  it('do not reach Object.prototype', async () => {
    const reply = await handleRequest(three(), { id: 'x2', op: 'toString', args: {} });
    expect(reply.ok).toBe(false);
  });
});
