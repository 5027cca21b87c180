import { PlansModel } from '../model';
import { JSONObject } from '../protocol';
import { planJSON } from './plans';

function plan(id: string): JSONObject {
  const created = `2026-01-01T00:00:0${id.length}`;
  return planJSON(id, { status: 'approved', steps: [], usage: undefined, created }) as unknown as JSONObject;
}

describe('a big plan store arrives in pages', () => {
  it('counts the older plans still to come, down to none', () => {
    const model = new PlansModel('n.ipynb');
    expect(model.loading).toBe(0);
    model.applyState({ plans: [plan('a')], mode: null, pending_approval: null, loading: 2000 });
    expect(model.loading).toBe(2000);
    model.applyDelta({ changed: [plan('bb')], removed: [], loading: 1000 });
    expect(model.loading).toBe(1000);
    expect(model.plans.map(e => e.plan.id)).toEqual(['a', 'bb']);
    model.applyDelta({ changed: [plan('ccc')], removed: [], loading: 0 });
    expect(model.loading).toBe(0);
  });

  it('a state without the field, garbage, or a kernel gone leaves nothing loading', () => {
    const model = new PlansModel('n.ipynb');
    model.applyState({ plans: [], loading: 7 });
    model.applyState({ plans: [] }); // later states keep the count until the kernel says
    expect(model.loading).toBe(7);
    model.applyState({ loading: 'many' });
    expect(model.loading).toBe(0);
    model.applyState({ loading: 5 });
    model.clearLive();
    expect(model.loading).toBe(0);
  });
});
