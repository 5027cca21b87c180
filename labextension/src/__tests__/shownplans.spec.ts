import { IPlanEntry, shownPlans } from '../model';
import { planJSON } from './plans';

/** `n` plans of the project (not of this notebook), oldest first. */
function others(n: number): IPlanEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    plan: planJSON(`p${String(i).padStart(4, '0')}`, {
      status: 'approved',
      title: i % 2 ? `Churn model ${i}` : `Revenue ${i}`
    }),
    cellId: null,
    live: true
  }));
}

describe('the Plans panel draws a bounded list', () => {
  it('shows the newest of the other plans and counts the rest', () => {
    const plans = others(5000);
    const { shown, hidden } = shownPlans(plans, '', 50);
    expect(shown.map(e => e.plan.id)).toEqual(plans.slice(4950).map(e => e.plan.id));
    expect(hidden).toBe(4950);
    expect(shownPlans(plans, '', 250).hidden).toBe(4750);
    expect(shownPlans(others(3), '', 50)).toEqual({ shown: others(3), hidden: 0 });
  });

  it("always shows this notebook's own plans and those waiting, however old", () => {
    const plans = others(200);
    plans[0] = { ...plans[0], cellId: 'cell-1' }; // saved in this notebook's outputs
    plans[1] = {
      ...plans[1],
      plan: { ...plans[1].plan, run: { phase: 'awaiting_review' } as never }
    };
    const { shown, hidden } = shownPlans(plans, '', 10);
    expect(shown.slice(0, 2).map(e => e.plan.id)).toEqual(['p0000', 'p0001']);
    expect(shown).toHaveLength(12);
    expect(hidden).toBe(188);
  });

  it('filters by title or id, in any case, before the limit', () => {
    const plans = others(1000);
    const churn = shownPlans(plans, '  CHURN ', 50);
    expect(churn.shown.every(e => e.plan.title.startsWith('Churn'))).toBe(true);
    expect(churn.shown).toHaveLength(50);
    expect(churn.hidden).toBe(450);
    expect(shownPlans(plans, 'p0007', 50).shown.map(e => e.plan.id)).toEqual(['p0007']);
    expect(shownPlans(plans, 'no such plan', 50)).toEqual({ shown: [], hidden: 0 });
  });
});
