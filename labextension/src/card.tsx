/**
 * A plan as a readable card (title, status, revision, steps, usage): shared by the
 * mime renderer and the Plans sidebar. Text only, never HTML from the plan.
 */
import * as React from 'react';
import { IPlanJSON, IPlanStep } from './protocol';

export const STEP_ICONS: { [status in IPlanStep['status']]: string } = {
  pending: '○',
  in_progress: '…',
  done: '✓',
  failed: '✗',
  skipped: '↷'
};

export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

export function formatUsage(plan: IPlanJSON): string {
  const usage = plan.usage;
  if (!usage) {
    return '';
  }
  const tokens = usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens;
  const cost =
    typeof usage.cost_usd === 'number' ? ` · $${usage.cost_usd.toFixed(4)}` : ' · cost unknown';
  return `${tokens.toLocaleString('en-US')} tokens${cost}`;
}

export function progress(plan: IPlanJSON): string {
  const done = plan.steps.filter(s => s.status === 'done').length;
  return `${done}/${plan.steps.length} steps done`;
}

export interface IPlanCardProps {
  plan: IPlanJSON;
  /** Show the goal and step descriptions too (the saved-output card). */
  detailed?: boolean;
}

export function PlanCard(props: IPlanCardProps): JSX.Element {
  const { plan, detailed } = props;
  return (
    <div className="jp-plan-card" data-plan-id={plan.id}>
      <div className="jp-plan-card-header">
        <span className="jp-plan-card-title">{plan.title}</span>
        <span className={`jp-plan-status jp-plan-status-${plan.status}`}>
          {statusLabel(plan.status)}
        </span>
      </div>
      <div className="jp-plan-card-meta">
        <span>revision {plan.revision}</span>
        <span>{progress(plan)}</span>
        {plan.usage && <span>{formatUsage(plan)}</span>}
        {plan.build_mode && <span>build: {plan.build_mode.replace('_', '-')}</span>}
      </div>
      {detailed && plan.goal && <div className="jp-plan-card-goal">{plan.goal}</div>}
      <ol className="jp-plan-steps">
        {plan.steps.map(step => (
          <li key={step.id} className={`jp-plan-step jp-plan-step-${step.status}`}>
            <span className="jp-plan-step-icon" title={statusLabel(step.status)}>
              {STEP_ICONS[step.status] ?? '?'}
            </span>
            <span className="jp-plan-step-id">{step.id}</span>
            <span className="jp-plan-step-title">{step.title}</span>
            {detailed && step.description && (
              <div className="jp-plan-step-description">{step.description}</div>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
