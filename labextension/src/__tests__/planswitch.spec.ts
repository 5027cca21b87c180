import { isPlanSwitch, stayLabel, switchReason } from '../cards/planswitch';
import { IApprovalRequest } from '../protocol';

function request(tool: string, args: { [k: string]: string } = {}, preview = ''): IApprovalRequest {
  return {
    tool,
    args,
    reason: 'no rule matched',
    rule: null,
    preview,
    preview_kind: 'text',
    what: '',
    where: '',
    step: '',
    language: '',
    sentence: ''
  };
}

describe('the plan-mode confirmation', () => {
  it('is drawn for enter_plan_mode only', () => {
    expect(isPlanSwitch(request('enter_plan_mode', { reason: 'big task' }))).toBe(true);
    expect(isPlanSwitch(request('insert_cell'))).toBe(false);
    expect(isPlanSwitch(request('exit_plan_mode'))).toBe(false);
  });

  it('names the mode the person stays in, as the status bar does', () => {
    expect(stayLabel('auto_edit')).toBe('Stay in “Auto-accept edits”');
    expect(stayLabel('default')).toBe('Stay in “Review each edit”');
    expect(stayLabel(null)).toBe('Stay in the current mode');
    expect(stayLabel(undefined)).toBe('Stay in the current mode');
  });

  it("shows the model's reason, else the kernel's preview", () => {
    expect(switchReason(request('enter_plan_mode', { reason: 'Five steps.' }, 'x'))).toBe('Five steps.');
    expect(switchReason(request('enter_plan_mode', { reason: ' ' }, 'from preview'))).toBe(
      'from preview'
    );
  });
});
