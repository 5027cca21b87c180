import { Channel } from '../bridge/channel';
import { PlansModel } from '../model';
import { CAPABILITIES, IPlanJSON, JSONObject } from '../protocol';
import { disposeAll, fakeHost } from './helpers';
import { planJSON } from './plans';

afterEach(disposeAll);

function plan(id: string, extra: Partial<IPlanJSON> = {}): JSONObject {
  const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, cost_usd: null };
  return planJSON(id, { status: 'approved', usage, ...extra }) as unknown as JSONObject;
}

function setup() {
  const model = new PlansModel('n.ipynb');
  const channel = new Channel({ send: () => undefined, close: () => undefined }, fakeHost([]), model);
  return { model, channel };
}

describe('plans events (incremental sidebar updates)', () => {
  it('the panel announces plans_delta when it opens', () => {
    expect(CAPABILITIES).toContain('plans_delta');
  });

  it('replace one plan, drop removed ids, keep the others', async () => {
    const { model, channel } = setup();
    await channel.onMessage({
      op: 'state',
      args: { plans: [plan('a'), plan('bb'), plan('ccc')], mode: null, pending_approval: null }
    });
    let emitted = 0;
    model.changed.connect(() => (emitted += 1));
    await channel.onMessage({
      op: 'plans',
      args: {
        changed: [plan('bb', { status: 'building', revision: 2 })],
        removed: ['ccc'],
        mode: 'auto_edit',
        default_mode: null,
        pending_approval: 'a'
      }
    });
    expect(model.plans.map(p => [p.plan.id, p.plan.status, p.plan.revision])).toEqual([
      ['a', 'approved', 1],
      ['bb', 'building', 2]
    ]);
    expect(model.mode).toBe('auto_edit');
    expect(model.pendingApproval).toBe('a');
    expect(emitted).toBe(1);
  });

  it('adds a new plan and ignores malformed entries', async () => {
    const { model, channel } = setup();
    await channel.onMessage({ op: 'state', args: { plans: [plan('a')] } });
    await channel.onMessage({
      op: 'plans',
      args: { changed: [plan('dddd'), { id: 'broken' }], removed: [42, 'nope'] }
    });
    expect(model.plans.map(p => p.plan.id)).toEqual(['a', 'dddd']);
  });
});
