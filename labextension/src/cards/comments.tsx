/**
 * What the person adds to a plan under review: a comment on each step and section (sent all
 * at once by Iterate), the model's answer to each in the next revision (addressed or not),
 * "edited by you", and the Edit and Turn into a page buttons. The buttons raise DOM events
 * the plugin answers (`jupyter-plan:edit`, `jupyter-plan:to-page`): cards never touch the comm.
 */
import * as React from 'react';
import { IPlanJSON } from '../protocol';
import { splitPlan } from './sections';

export interface IComment {
  anchor: string;
  text: string;
}

export const EDIT_EVENT = 'jupyter-plan:edit';
export const TO_PAGE_EVENT = 'jupyter-plan:to-page';
/**
 * A plan longer than this is offered to be turned into a page: pages.suggest_after_chars's
 * default, used where the kernel did not send the setting (a saved card, an older kernel).
 */
export const LONG_PLAN_CHARS = 6000;

/** The parts a comment can be anchored to: each step, then the plan's other sections. */
export function anchors(plan: IPlanJSON): Array<{ anchor: string; label: string }> {
  const found = plan.steps.map(s => ({ anchor: s.id, label: `${s.id}. ${s.title}` }));
  const sections = plan.markdown ? splitPlan(plan.markdown).sections : [];
  for (const section of sections) {
    const heading = section.heading.trim();
    if (!/^(steps|changes|implementation steps|plan|comments)$/i.test(heading)) {
      found.push({ anchor: heading, label: heading });
    }
  }
  return found;
}

export function CommentBoxes(props: {
  plan: IPlanJSON;
  comments: { [anchor: string]: string };
  onChange: (anchor: string, text: string) => void;
}): JSX.Element {
  const [open, setOpen] = React.useState<string | null>(null);
  return (
    <details className="jp-plan-comments-box">
      <summary>
        Comment on steps and sections
        {countComments(props.comments) > 0 && ` (${countComments(props.comments)})`}
      </summary>
      <ul className="jp-plan-comment-anchors">
        {anchors(props.plan).map(({ anchor, label }) => (
          <li key={anchor} className="jp-plan-comment-anchor" data-anchor={anchor}>
            <button
              type="button"
              className="jp-plan-button jp-plan-comment-toggle"
              aria-expanded={open === anchor}
              onClick={() => setOpen(open === anchor ? null : anchor)}
            >
              {label}
              {props.comments[anchor]?.trim() ? ' ✎' : ''}
            </button>
            {(open === anchor || props.comments[anchor]) && (
              <textarea
                className="jp-plan-comment-text jp-mod-styled"
                aria-label={`Comment on ${label}`}
                placeholder={`Comment on ${label}`}
                value={props.comments[anchor] ?? ''}
                onChange={e => props.onChange(anchor, e.target.value)}
              />
            )}
          </li>
        ))}
      </ul>
      <div className="jp-plan-comment-hint">Iterate sends every comment at once.</div>
    </details>
  );
}

export function countComments(comments: { [anchor: string]: string }): number {
  return Object.values(comments).filter(t => t.trim()).length;
}

export function commentList(comments: { [anchor: string]: string }): IComment[] {
  return Object.entries(comments)
    .filter(([, text]) => text.trim())
    .map(([anchor, text]) => ({ anchor, text: text.trim() }));
}

/** What a mark says, and its class: the model's verdict on one comment. */
function verdict(addressed: boolean | null): string {
  return addressed === true ? 'addressed' : addressed === false ? 'not addressed' : 'not answered';
}

/**
 * Each comment left on the revision before, and whether this revision addressed it (the
 * model's own note beside it). Drawn next to the revision's diff, which shows what changed.
 */
export function CommentAnswers(props: { plan: IPlanJSON }): JSX.Element | null {
  const comments = props.plan.comments ?? [];
  if (!comments.length) {
    return null;
  }
  const done = comments.filter(c => c.addressed === true).length;
  return (
    <section className="jp-plan-comment-answers" aria-label="Your comments">
      <h4 className="jp-plan-section-title">
        Your comments: {done} of {comments.length} addressed
      </h4>
      <ul>
        {comments.map(c => {
          const how = verdict(c.addressed);
          return (
            <li
              key={c.anchor}
              className={`jp-plan-comment-answer jp-plan-comment-${how.replace(' ', '-')}`}
              data-anchor={c.anchor}
            >
              <div className="jp-plan-comment-head">
                <span className="jp-plan-chip">{c.anchor}</span>
                <span className="jp-plan-comment-mark">{how}</span>
              </div>
              <div className="jp-plan-comment-said">“{c.text}”</div>
              {c.note && <div className="jp-plan-comment-note">{c.note}</div>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Bubbles up from the button, so the plugin knows which notebook it was pressed in. */
function raise(from: HTMLElement, name: string, planId: string): void {
  from.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: { planId } }));
}

/**
 * "edited by you", Edit, and Turn into a page: on a plan longer than `suggestAfter`
 * characters (the setting pages.suggest_after_chars, sent with the card's state), or always.
 */
export function PersonBar(props: {
  plan: IPlanJSON;
  always?: boolean;
  suggestAfter?: number | null;
}): JSX.Element {
  const { plan } = props;
  const long = (plan.markdown ?? '').length > (props.suggestAfter || LONG_PLAN_CHARS);
  return (
    <div className="jp-plan-person-bar">
      {plan.edited_by === 'person' && <span className="jp-plan-edited">edited by you</span>}
      {plan.pages && plan.pages.length > 0 && (
        <span className="jp-plan-pages-used">pages: {plan.pages.join(', ')}</span>
      )}
      <button
        type="button"
        className="jp-plan-button jp-plan-edit"
        title="Edit the plan's Markdown in the editor; saving makes your revision"
        onClick={e => raise(e.currentTarget, EDIT_EVENT, plan.id)}
      >
        Edit
      </button>
      {(long || props.always) && (
        <button
          type="button"
          className="jp-plan-button jp-plan-to-page"
          title="Move this plan into a new page, and start a new plan that references it"
          onClick={e => raise(e.currentTarget, TO_PAGE_EVENT, plan.id)}
        >
          Turn into a page
        </button>
      )}
    </div>
  );
}
