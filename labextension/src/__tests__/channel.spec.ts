import { Channel } from '../bridge/channel';
import { PlansModel } from '../model';
import { JSONObject } from '../protocol';
import { disposeAll, fakeHost } from './helpers';

afterEach(disposeAll);

function setup() {
  const sent: JSONObject[] = [];
  let closed = 0;
  const host = fakeHost([{ id: 'a', source: 'x = 1' }]);
  const model = new PlansModel('n.ipynb');
  const channel = new Channel({ send: d => sent.push(d), close: () => (closed += 1) }, host, model);
  return { sent, host, model, channel, closedCount: () => closed };
}

describe('Channel', () => {
  it('becomes ready on the kernel\'s ready event', async () => {
    const { channel, model } = setup();
    expect(channel.ready).toBe(false);
    await channel.onMessage({ op: 'ready', args: { protocol: 1 } });
    expect(channel.ready).toBe(true);
    expect(model.connection).toEqual({ kind: 'connected' });
  });

  it('answers kernel requests once, with the request id', async () => {
    const { channel, sent } = setup();
    await channel.onMessage({ id: 'k1', op: 'replace_cell', args: { cell_id: 'a', source: 'x = 2' } });
    await channel.onMessage({ id: 'k2', op: 'replace_cell', args: { cell_id: 'zz', source: 'x' } });
    expect(sent).toEqual([
      { id: 'k1', ok: true, result: null },
      { id: 'k2', ok: false, error: expect.objectContaining({ type: 'CellNotFound', cell_id: 'zz' }) }
    ]);
  });

  it('feeds state events to the model and never answers events', async () => {
    const { channel, sent, model } = setup();
    await channel.onMessage({ op: 'state', args: { mode: 'plan', plans: [] } });
    expect(model.mode).toBe('plan');
    expect(sent).toEqual([]);
  });

  it('sends frontend requests and settles them with the kernel\'s answer', async () => {
    const { channel, sent } = setup();
    await channel.onMessage({ op: 'ready', args: { protocol: 1 } });
    const approved = channel.request('approve', { plan_id: 'p', build_mode: 'auto_edit' });
    const failed = channel.request('build', { plan_id: 'p' });
    expect(sent.map(m => m.op)).toEqual(['approve', 'build']);
    await channel.onMessage({ id: sent[0].id, ok: true, result: { status: 'approved' } });
    await channel.onMessage({ id: sent[1].id, ok: false, error: { type: 'BridgeError', message: 'not approved' } });
    await expect(approved).resolves.toEqual({ status: 'approved' });
    await expect(failed).rejects.toThrow('not approved');
  });

  it('a refusal at open is shown, and waiting requests fail', async () => {
    const { channel, model } = setup();
    const waiting = channel.request('set_mode', { mode: 'plan' });
    channel.onClose({ ok: false, error: { type: 'ProtocolMismatch', message: 'speaks 2' } });
    expect(model.connection).toEqual({ kind: 'refused', message: 'speaks 2' });
    await expect(waiting).rejects.toThrow('did not finish');
    await expect(channel.request('build')).rejects.toThrow('cannot build');
  });

  it('dispose closes the comm once', () => {
    const { channel, closedCount } = setup();
    channel.dispose();
    channel.dispose();
    expect(closedCount()).toBe(1);
    expect(channel.closed).toBe(true);
  });
});
