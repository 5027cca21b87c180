/**
 * The agent asks to switch to plan mode (`enter_plan_mode`, docs/agent.md): Gemini CLI's
 * confirmation, drawn on the run card in place of a generic tool approval. Confirm lets the
 * same cell go on as a planning run that ends in the plan review; Stay keeps the session's
 * mode and tells the agent no (it goes on without a plan).
 */
import * as React from 'react';
import { modeLabel } from '../model';
import { IApprovalRequest, KernelMode } from '../protocol';
import { AllowOnce, Answer } from './approval';
import { Markdown, Services } from './services';

export const PLAN_SWITCH_TOOL = 'enter_plan_mode';

/** Whether an approval request is the agent asking to enter plan mode. */
export function isPlanSwitch(request: IApprovalRequest): boolean {
  return request.tool === PLAN_SWITCH_TOOL;
}

/** "Stay in “Auto-accept edits”"; plain "Stay in the current mode" when the mode is unknown. */
export function stayLabel(mode: KernelMode | undefined): string {
  return mode ? `Stay in “${modeLabel(mode)}”` : 'Stay in the current mode';
}

/** The model's reason: its `reason` argument, else the preview the kernel made of it. */
export function switchReason(request: IApprovalRequest): string {
  const reason = request.args.reason;
  return typeof reason === 'string' && reason.trim() ? reason : request.preview;
}

export function PlanSwitchCard(props: { request: IApprovalRequest; onAnswer: Answer }): JSX.Element {
  const services = React.useContext(Services);
  const mode = services.sessionMode?.();
  const reason = switchReason(props.request);
  const stay = stayLabel(mode);
  return (
    <div className="jp-plan-approval jp-plan-switch" role="group" aria-labelledby="jp-plan-switch-title">
      <div className="jp-plan-subtitle" id="jp-plan-switch-title">
        Switch to plan mode?
      </div>
      {reason && <Markdown source={reason} className="jp-plan-switch-reason" />}
      <div className="jp-plan-hint">
        The agent researches read-only and writes a plan for your review in this cell; nothing
        changes until you approve it.
      </div>
      <div className="jp-plan-actions">
        <AllowOnce className="jp-plan-switch-confirm" onAnswer={props.onAnswer}>
          Confirm — plan first
        </AllowOnce>
        <button
          type="button"
          className="jp-plan-button jp-plan-switch-stay"
          title="The agent is told no and goes on in the current mode"
          onClick={() => props.onAnswer('deny', { reason: 'The person chose to stay in the current mode.' })}
        >
          {stay}
        </button>
      </div>
    </div>
  );
}
