import {
  isHiddenPath,
  modeLabel,
  nextMode,
  planFilePath,
  plansFromCells,
  PlansModel
} from '../model';
import { IPlanJSON, JSONObject, PLAN_MIME } from '../protocol';
import { planJSON as plan } from './plans';

function output(p: IPlanJSON): JSONObject {
  return { output_type: 'display_data', data: { 'text/markdown': '# x', [PLAN_MIME]: p as unknown as JSONObject }, metadata: {} };
}

describe('approval modes', () => {
  it('cycle default → auto_edit → plan → default', () => {
    expect(nextMode('default')).toBe('auto_edit');
    expect(nextMode('auto_edit')).toBe('plan');
    expect(nextMode('plan')).toBe('default');
  });

  it('from unset or yolo, cycling starts at default', () => {
    expect(nextMode(null)).toBe('default');
    expect(nextMode('yolo')).toBe('default');
    expect(modeLabel(null)).toBe('As approved');
    expect(modeLabel('yolo')).toBe('Allow everything (yolo)');
    expect(modeLabel('auto_edit')).toBe('Auto-accept edits');
  });

  it('a kernel may report no mode or yolo; a restart forgets the mode', () => {
    const model = new PlansModel('a.ipynb');
    expect(model.mode).toBeNull();
    model.applyState({ mode: 'yolo' });
    expect(model.mode).toBe('yolo');
    model.applyState({ plans: [] }); // no mode field: unchanged
    expect(model.mode).toBe('yolo');
    model.applyState({ mode: null });
    expect(model.mode).toBeNull();
    model.applyState({ mode: 'plan' });
    model.clearLive();
    expect(model.mode).toBeNull();
  });

  it('modeChanged fires only on a change', () => {
    const model = new PlansModel('a.ipynb');
    const seen: (string | null)[] = [];
    model.modeChanged.connect((_, mode) => seen.push(mode));
    model.mode = 'default';
    model.mode = 'plan';
    model.applyState({ mode: 'auto_edit' });
    model.applyState({ mode: 'bogus' });
    expect(seen).toEqual(['default', 'plan', 'auto_edit']);
    expect(model.mode).toBe('auto_edit');
  });
});

describe('saved plans', () => {
  it('are read from plan outputs, remembering their cell; the newest revision wins', () => {
    const found = plansFromCells([
      { id: 'c1', outputs: [output(plan('p'))] },
      { id: 'c2', outputs: [{ output_type: 'stream', name: 'stdout', text: 'hi' }] },
      { id: 'c3', outputs: [output(plan('p', { revision: 2, title: 'v2' }))] },
      { id: 'c4', outputs: [{ output_type: 'display_data', data: { [PLAN_MIME]: { id: 'bad' } }, metadata: {} }] }
    ]);
    expect([...found.keys()]).toEqual(['p']);
    expect(found.get('p')).toEqual({ plan: expect.objectContaining({ title: 'v2' }), cellId: 'c3', live: false });
  });

  it('signal a change only when something changed', () => {
    const model = new PlansModel();
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    const cells = [{ id: 'c1', outputs: [output(plan('p'))] }];
    model.setSavedFromCells(cells);
    model.setSavedFromCells(cells);
    expect(changes).toBe(1);
    expect(model.plans.map(p => p.plan.id)).toEqual(['p']);
  });
});

describe('live state', () => {
  it('kernel plans win over saved ones and keep the saved cell; pending approval is kept', () => {
    const model = new PlansModel();
    model.setSavedFromCells([{ id: 'c1', outputs: [output(plan('p'))] }]);
    model.applyState({
      plans: [plan('p', { status: 'building' }) as unknown as JSONObject, plan('qq') as unknown as JSONObject, { nonsense: true }],
      mode: 'plan',
      pending_approval: 'qq'
    });
    expect(model.plans.map(e => [e.plan.id, e.plan.status, e.cellId, e.live])).toEqual([
      ['p', 'building', 'c1', true],
      ['qq', 'awaiting_review', null, true]
    ]);
    expect(model.pendingApproval).toBe('qq');
    expect(model.plan('qq')?.live).toBe(true);
  });

  it('clearLive forgets the kernel but keeps saved plans (reload with no kernel)', () => {
    const model = new PlansModel();
    model.setSavedFromCells([{ id: 'c1', outputs: [output(plan('p'))] }]);
    model.applyState({ plans: [plan('qq') as unknown as JSONObject], pending_approval: 'qq' });
    model.clearLive();
    expect(model.plans.map(e => e.plan.id)).toEqual(['p']);
    expect(model.pendingApproval).toBeNull();
  });
});

describe('plan file links', () => {
  it('resolve relative to the notebook folder', () => {
    expect(planFilePath('work/nb.ipynb', '.jupyter_plan/plans/p.md')).toBe('work/.jupyter_plan/plans/p.md');
    expect(planFilePath('work/deep/nb.ipynb', '../.jupyter_plan/plans/p.md')).toBe('work/.jupyter_plan/plans/p.md');
    expect(planFilePath('nb.ipynb', './plans/p.md')).toBe('plans/p.md');
  });

  it('are absent when missing, absolute or outside the server root', () => {
    expect(planFilePath('nb.ipynb', null)).toBeNull();
    expect(planFilePath('nb.ipynb', undefined)).toBeNull();
    expect(planFilePath('nb.ipynb', '/home/me/p.md')).toBeNull();
    expect(planFilePath('work/nb.ipynb', '../../p.md')).toBeNull();
  });
});

describe('hidden paths', () => {
  it('have a segment starting with a dot', () => {
    expect(isHiddenPath('.jupyter_plan/plans/p.md')).toBe(true);
    expect(isHiddenPath('work/.plans/p.md')).toBe(true);
    expect(isHiddenPath('plans/p.md')).toBe(false);
    expect(isHiddenPath('work/plans/v1.2.md')).toBe(false);
  });
});
