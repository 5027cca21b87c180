/**
 * One run's card: the kernel's state drawn whole. Header (title, phase, N/M steps), the
 * progress while it works, what waits for the person (questions, an approval), the plan,
 * how it ended (an error with its fix, or what a stop kept), and the valid actions.
 */
import * as React from 'react';
import { ICardState, RunAction } from '../protocol';
import { ActionBar } from './actions';
import { ApprovalCard } from './approval';
import { CommentBoxes, PersonBar, commentList, countComments } from './comments';
import { ErrorNotice } from './error';
import { PlanSwitchCard, isPlanSwitch } from './planswitch';
import { PlanDocument, PlanHeader, StatusPill, StepList, stepsDone } from './plan';
import { ProgressLine } from './progress';
import { IAnswer, QuestionCard } from './question';

export type ActionArgs = { [key: string]: unknown };
export type OnAction = (action: RunAction | 'answer' | 'allow' | 'deny', args?: ActionArgs) => void;

/** The run's status line (when `message`) and its buttons, at the foot of a card. */
function CardFoot(props: {
  state: ICardState;
  message: boolean;
  onAction: OnAction;
  comments?: number;
}): JSX.Element {
  const { state } = props;
  return (
    <>
      {props.message && state.message && (
        <div className="jp-plan-message" role="status">
          {state.message}
        </div>
      )}
      <ActionBar
        actions={state.actions}
        what={state.plan?.title ?? state.title}
        onAction={(action, args) => props.onAction(action, args)}
        comments={props.comments}
      />
    </>
  );
}

export function RunCard(props: { state: ICardState; onAction: OnAction }): JSX.Element {
  const { state } = props;
  const plan = state.plan;
  const [comments, setComments] = React.useState<{ [anchor: string]: string }>({});
  const onAction: OnAction = (action, args) =>
    action === 'iterate' // every comment goes with Iterate, at once
      ? (props.onAction(action, { ...args, comments: commentList(comments) }), setComments({}))
      : props.onAction(action, args);
  const reviewing = state.kind === 'plan' && state.actions.includes('iterate');
  const stopped = state.phase === 'stopped';
  const body = plan && !state.handed_over;
  if (state.handed_over && !state.error) {
    // the cell's own output below shows the plan (or the summary): the card keeps its state
    return (
      <div
        className={`jp-plan-card jp-plan-run-card jp-plan-handed-over jp-plan-kind-${state.kind}`}
        data-plan-id={plan?.id ?? state.key}
        data-phase={state.phase}
      >
        <div className="jp-plan-card-header">
          <span className="jp-plan-card-kind">{state.kind === 'build' ? 'Build' : 'Plan'}</span>
          <StatusPill phase={state.phase} label={state.label} />
          {plan && plan.steps.length > 0 && (
            <span className="jp-plan-progress-count">{stepsDone(plan)}</span>
          )}
        </div>
        {state.history.length > 0 && (
          <ul className="jp-plan-history" aria-label="Answered so far">
            {state.history.map((h, i) => (
              <li key={i}>{h.text}</li>
            ))}
          </ul>
        )}
        <Refused refused={state.refused} />
        <CardFoot state={state} message onAction={onAction} />
      </div>
    );
  }
  return (
    <div
      className={`jp-plan-card jp-plan-run-card jp-plan-kind-${state.kind}`}
      data-plan-id={plan?.id ?? state.key}
      data-phase={state.phase}
    >
      {plan ? (
        <PlanHeader plan={plan} phase={state.phase} phaseLabel={state.label} />
      ) : (
        <div className="jp-plan-card-header">
          <span className="jp-plan-card-title">{state.title || 'New plan'}</span>
          <StatusPill phase={state.phase} label={state.label} />
        </div>
      )}
      {state.live && <ProgressLine state={state} />}
      {state.error && <ErrorNotice error={state.error} stopped={stopped} />}
      {state.questions.length > 0 && (
        <QuestionCard
          key={JSON.stringify(state.questions)}
          questions={state.questions}
          message={state.message}
          onSubmit={(answers: IAnswer[]) => onAction('answer', { answers })}
        />
      )}
      {state.approval && isPlanSwitch(state.approval) && (
        <PlanSwitchCard request={state.approval} onAnswer={(action, args) => onAction(action, args)} />
      )}
      {state.approval && !isPlanSwitch(state.approval) && (
        <ApprovalCard
          key={JSON.stringify(state.approval.args)}
          request={state.approval}
          onAnswer={(action, args) => onAction(action, args)}
        />
      )}
      {body && plan && state.kind === 'plan' && (
        <PersonBar plan={plan} suggestAfter={state.suggest_after_chars} />
      )}
      {body && plan && state.kind === 'plan' && <PlanDocument plan={plan} />}
      {body && plan && reviewing && (
        <CommentBoxes
          plan={plan}
          comments={comments}
          onChange={(anchor, text) => setComments({ ...comments, [anchor]: text })}
        />
      )}
      {plan && state.kind === 'build' && plan.steps.length > 0 && (
        <StepList steps={plan.steps} detailed={false} />
      )}
      {state.history.length > 0 && (
        <ul className="jp-plan-history" aria-label="Answered so far">
          {state.history.map((h, i) => (
            <li key={i} className={`jp-plan-history-${h.kind}`}>
              {h.text}
            </li>
          ))}
        </ul>
      )}
      <Refused refused={state.refused} />
      {state.summary && state.kind === 'build' && !state.handed_over && (
        <pre className="jp-plan-build-summary">{state.summary}</pre>
      )}
      <CardFoot
        state={state}
        message={state.questions.length === 0}
        onAction={onAction}
        comments={countComments(comments)}
      />
    </div>
  );
}

/** Tool calls the policy refused, behind a disclosure: the person sees what was stopped. */
function Refused(props: { refused: string[] }): JSX.Element | null {
  if (!props.refused.length) {
    return null;
  }
  return (
    <details className="jp-plan-refused">
      <summary>Refused calls: {props.refused.length}</summary>
      <ul>
        {props.refused.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
    </details>
  );
}
