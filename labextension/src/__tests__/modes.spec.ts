import { PlansModel } from '../model';
import { IPlanJSON, IRunSummary, JSONObject } from '../protocol';
import { choiceOf, cycleMode, nextModeOf, planBlocked, promptSource, shownMode } from '../sidebar/modes';

function run(phase: string, extra: Partial<IRunSummary> = {}): IRunSummary {
  return {
    key: 'k',
    kind: 'plan',
    cell_id: 'c1',
    phase,
    label: phase,
    live: true,
    actions: [],
    pending: { questions: 0, approval: false },
    error: null,
    ...extra
  };
}

function withRun(summary: IRunSummary | null, state: JSONObject = {}): PlansModel {
  const plan: IPlanJSON = {
    version: 1,
    id: 'p1',
    title: 'P',
    status: 'drafting',
    revision: 0,
    steps: [],
    ...(summary ? { run: summary } : {})
  };
  const model = new PlansModel('nb.ipynb');
  model.applyState({ plans: [plan as unknown as JSONObject], ...state });
  return model;
}

describe('the mode cycle', () => {
  it('goes default → auto_edit → plan → default when idle', () => {
    expect(cycleMode('default', false)).toBe('auto_edit');
    expect(cycleMode('auto_edit', false)).toBe('plan');
    expect(cycleMode('plan', false)).toBe('default');
    expect(cycleMode(null, false)).toBe('default');
    expect(cycleMode('yolo', false)).toBe('default');
  });

  it('leaves plan out while blocked', () => {
    expect(cycleMode('default', true)).toBe('auto_edit');
    expect(cycleMode('auto_edit', true)).toBe('default');
    expect(cycleMode('plan', true)).toBe('default');
  });

  it('is blocked while a run works or an approval shows, not after', () => {
    expect(planBlocked(withRun(null))).toBeNull();
    expect(planBlocked(withRun(run('working')))).toBe('the agent is running');
    expect(planBlocked(withRun(run('building')))).toBe('the agent is running');
    expect(planBlocked(withRun(run('confirming')))).toBe('an approval is showing');
    expect(
      planBlocked(withRun(run('building', { pending: { questions: 0, approval: true } })))
    ).toBe('an approval is showing');
    expect(planBlocked(withRun(run('awaiting_review')))).toBeNull();
    expect(planBlocked(withRun(run('built')))).toBeNull();
    expect(planBlocked(withRun(run('working', { live: false })))).toBeNull();
  });

  it('cycles the session from the mode it shows', () => {
    expect(nextModeOf(withRun(null, { mode: 'auto_edit' }))).toBe('plan');
    expect(nextModeOf(withRun(run('working'), { mode: 'auto_edit' }))).toBe('default');
    // the setting is where the cycle starts until a mode is set
    expect(nextModeOf(withRun(null, { mode: null, default_mode: 'plan' }))).toBe('default');
  });
});

describe('the shown mode', () => {
  it('is the session mode, else the default_approval_mode setting, else unset', () => {
    expect(shownMode(withRun(null))).toBeNull();
    expect(shownMode(withRun(null, { default_mode: 'plan' }))).toBe('plan');
    expect(shownMode(withRun(null, { mode: 'auto_edit', default_mode: 'plan' }))).toBe(
      'auto_edit'
    );
  });

  it('announces a changed setting through modeChanged', () => {
    const model = withRun(null);
    const seen: unknown[] = [];
    model.modeChanged.connect(() => seen.push(shownMode(model)));
    model.applyState({ default_mode: 'plan' });
    model.applyState({ default_mode: 'plan' });
    expect(seen).toEqual(['plan']);
    model.clearLive();
    expect(shownMode(model)).toBeNull();
  });
});

describe('a mode change in flight', () => {
  it('is not undone by a state event the kernel sent before it took the change', () => {
    const model = withRun(null, { mode: null });
    model.beginModeChange('default');
    model.beginModeChange('auto_edit');
    model.applyState({ mode: 'default' }); // sent by the kernel after the first request
    expect(model.mode).toBe('auto_edit');
    expect(nextModeOf(model)).toBe('plan');
    model.endModeChange('default');
    model.endModeChange('auto_edit');
    expect(model.mode).toBe('auto_edit');
    model.applyState({ mode: 'plan' }); // none in flight: the kernel's word again
    expect(model.mode).toBe('plan');
  });
});

describe('the prompt box', () => {
  it('shows Plan for plan and Agent for every other mode', () => {
    expect(choiceOf('plan')).toBe('plan');
    expect(choiceOf('default')).toBe('agent');
    expect(choiceOf('auto_edit')).toBe('agent');
    expect(choiceOf(null)).toBe('agent');
  });

  it('makes a %%agent or %%plan cell of the task as typed, nothing of blanks', () => {
    expect(promptSource('agent', 'rename col a to b')).toBe('%%agent\nrename col a to b');
    expect(promptSource('plan', 'chart revenue\nby region\n\n')).toBe(
      '%%plan\nchart revenue\nby region'
    );
    expect(promptSource('agent', '   \n  ')).toBeNull();
    expect(promptSource('plan', '')).toBeNull();
  });
});
