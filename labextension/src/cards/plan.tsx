/**
 * A plan drawn the same everywhere: the live card, the saved output and the sidebar.
 *
 * The full document reads in a reviewer's order — summary, context found, alternatives with
 * the recommendation, steps (title on its own line, description, Verify), verification,
 * risks — and, after an Iterate, what changed against the revision before. Model text goes
 * through rendermime's sanitiser (block Markdown) or the inline formatter (titles).
 */
import * as React from 'react';
import { IPlanJSON, IPlanStep } from '../protocol';
import { CommentAnswers } from './comments';
import { DiffRows } from './diffview';
import { counts, lineDiff } from './diff';
import { Inline } from './inline';
import { IPlanSection, inReadingOrder, splitPlan } from './sections';
import { Markdown } from './services';

export const STEP_ICONS: { [status in IPlanStep['status']]: string } = {
  pending: '○',
  in_progress: '◐',
  done: '✓',
  failed: '✗',
  skipped: '↷'
};

export const STEP_LABELS: { [status in IPlanStep['status']]: string } = {
  pending: 'to do',
  in_progress: 'in progress',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped'
};

export const BUILD_MODE_LABELS: { [mode: string]: string } = {
  auto_edit: 'Auto-accept edits',
  default: 'Review each edit'
};

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ');
}

export function stepsDone(plan: IPlanJSON): string {
  const done = plan.steps.filter(s => s.status === 'done').length;
  return `${done}/${plan.steps.length} steps done`;
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

/** A phase or status as a pill: readable text on a neutral ground, the colour in a dot. */
export function StatusPill(props: { phase: string; label?: string }): JSX.Element {
  return (
    <span className={`jp-plan-status jp-plan-status-${props.phase}`}>
      <span className="jp-plan-status-dot" aria-hidden="true" />
      {props.label ?? statusLabel(props.phase)}
    </span>
  );
}

export function PlanHeader(props: {
  plan: IPlanJSON;
  phase?: string;
  phaseLabel?: string;
}): JSX.Element {
  const { plan } = props;
  return (
    <div className="jp-plan-card-header">
      <Inline className="jp-plan-card-title" text={plan.title} />
      <StatusPill phase={props.phase ?? plan.status} label={props.phaseLabel} />
      <div className="jp-plan-card-meta">
        {plan.revision > 0 && <span>revision {plan.revision}</span>}
        {plan.steps.length > 0 && <span className="jp-plan-progress-count">{stepsDone(plan)}</span>}
        {plan.build_mode && <span>{BUILD_MODE_LABELS[plan.build_mode] ?? plan.build_mode}</span>}
        {plan.usage && <span>{formatUsage(plan)}</span>}
      </div>
    </div>
  );
}

export function StepList(props: { steps: IPlanStep[]; detailed: boolean }): JSX.Element {
  return (
    <ol className="jp-plan-steps">
      {props.steps.map(step => (
        <li key={step.id} className={`jp-plan-step jp-plan-step-${step.status}`}>
          <div className="jp-plan-step-head">
            <span
              className="jp-plan-step-icon"
              role="img"
              aria-label={STEP_LABELS[step.status] ?? step.status}
              title={STEP_LABELS[step.status] ?? step.status}
            >
              {STEP_ICONS[step.status] ?? '?'}
            </span>
            <span className="jp-plan-step-id">{step.id}</span>
            <Inline className="jp-plan-step-title" text={step.title} />
          </div>
          {props.detailed && step.description && (
            <Markdown className="jp-plan-step-description" source={step.description} />
          )}
          {props.detailed && step.verification && (
            <div className="jp-plan-step-verify">
              <span className="jp-plan-label">Verify:</span>{' '}
              <Inline text={step.verification} />
            </div>
          )}
          {step.note && (
            <div className="jp-plan-step-note">
              <Inline text={`${STEP_LABELS[step.status] ?? step.status}: ${step.note}`} />
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}

const SECTION_TITLES: { [kind: string]: string } = {
  summary: 'Summary',
  context: 'Context found',
  alternatives: 'Alternatives',
  steps: 'Steps',
  verification: 'Verification',
  risks: 'Risks'
};

function Section(props: { section: IPlanSection; plan: IPlanJSON }): JSX.Element {
  const { section, plan } = props;
  const chosen = plan.chosen_approach;
  return (
    <section className={`jp-plan-section jp-plan-section-${section.kind}`}>
      <h4 className="jp-plan-section-title">{section.heading || SECTION_TITLES[section.kind]}</h4>
      {section.kind === 'alternatives' && chosen && (
        <div className="jp-plan-recommended">
          <span className="jp-plan-label">Recommended:</span> <Inline text={chosen} />
        </div>
      )}
      {section.kind === 'steps' ? (
        <StepList steps={plan.steps} detailed />
      ) : (
        section.body && <Markdown source={section.body} />
      )}
    </section>
  );
}

/** The whole plan for review (live card, saved output). */
export function PlanDocument(props: { plan: IPlanJSON; diffOpen?: boolean }): JSX.Element {
  const { plan } = props;
  const parts = splitPlan(plan.markdown ?? '');
  const answered = (plan.comments ?? []).length > 0;
  // the model's `## Comments` section is drawn as the marks beside the diff, not twice
  let sections = inReadingOrder(parts.sections).filter(
    s => !(answered && /^comments$/i.test(s.heading.trim()))
  );
  if (!sections.some(s => s.kind === 'steps') && plan.steps.length) {
    sections = [...sections, { heading: 'Steps', kind: 'steps', body: '' }];
  }
  const summary = parts.intro || (sections.length === 0 ? plan.goal ?? '' : '');
  return (
    <div className="jp-plan-document">
      {summary && <Markdown className="jp-plan-summary" source={summary} />}
      {sections.map((section, i) => (
        <Section key={`${section.kind}-${i}`} section={section} plan={plan} />
      ))}
      {plan.questions && plan.questions.length > 0 && (
        <section className="jp-plan-section jp-plan-section-answers">
          <h4 className="jp-plan-section-title">Your answers</h4>
          <ul className="jp-plan-answers">
            {plan.questions.map((q, i) => (
              <li key={i}>
                <span className="jp-plan-chip">{q.header}</span> <Inline text={q.question} /> →{' '}
                <strong>{q.answer}</strong>
              </li>
            ))}
          </ul>
        </section>
      )}
      {(plan.previous || answered) && (
        <div className="jp-plan-revision-review">
          <CommentAnswers plan={plan} />
          <RevisionDiff plan={plan} open={props.diffOpen !== false} />
        </div>
      )}
    </div>
  );
}

/** What the latest revision changed against the one before (after an Iterate). */
export function RevisionDiff(props: { plan: IPlanJSON; open?: boolean }): JSX.Element | null {
  const previous = props.plan.previous;
  if (!previous) {
    return null;
  }
  const rows = lineDiff(previous.markdown, props.plan.markdown ?? '');
  const { added, removed } = counts(rows);
  return (
    <details className="jp-plan-revision-diff" open={props.open !== false}>
      <summary>
        Changes since revision {previous.revision}: {plural(added, 'line')} added,{' '}
        {removed} removed
        {previous.feedback ? ` (your feedback: “${previous.feedback}”)` : ''}
      </summary>
      <DiffRows rows={rows} language="markdown" context={2} />
    </details>
  );
}
