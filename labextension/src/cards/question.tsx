/**
 * The agent's questions (`ask_user`), answered on the card. Options show their descriptions;
 * a single choice is a set of toggle buttons with `aria-pressed` and a check mark, a multiple
 * choice says "choose any" and shows check boxes; "Other" is free text. Submit is enabled
 * when every question has an answer.
 */
import * as React from 'react';
import { IQuestion } from '../protocol';
import { Inline } from './inline';

export interface IAnswer {
  header: string;
  selected: string[];
  text: string | null;
}

function offered(q: IQuestion): Array<{ label: string; description?: string }> {
  return q.type === 'yesno' ? [{ label: 'Yes' }, { label: 'No' }] : q.options;
}

/** Toggle `label` in `selected` under the question's rule (one, or any). */
export function toggle(q: IQuestion, selected: string[], label: string): string[] {
  if (selected.includes(label)) {
    return selected.filter(s => s !== label);
  }
  return q.type === 'choice' && q.multiSelect ? [...selected, label] : [label];
}

export function complete(answer: IAnswer): boolean {
  return answer.selected.length > 0 || !!answer.text?.trim();
}

function QuestionField(props: {
  index: number;
  question: IQuestion;
  answer: IAnswer;
  onChange: (answer: IAnswer) => void;
}): JSX.Element {
  const { question: q, answer, index } = props;
  const multi = q.type === 'choice' && !!q.multiSelect;
  const id = `jp-plan-q-${index}-${React.useId()}`;
  const set = (selected: string[], text: string | null) =>
    props.onChange({ header: q.header, selected, text });
  return (
    <fieldset className={`jp-plan-question jp-plan-q${index}`} aria-describedby={`${id}-hint`}>
      <legend className="jp-plan-question-text">
        <span className="jp-plan-chip">{q.header}</span> <Inline text={q.question} />
      </legend>
      {q.type !== 'text' && (
        <>
          <div id={`${id}-hint`} className="jp-plan-hint">
            {multi ? 'Choose any that apply.' : 'Choose one.'}
            {q.type === 'choice' ? ' Or write your own answer below.' : ''}
          </div>
          <div className="jp-plan-options" role="group" aria-label={q.header}>
            {offered(q).map(option => {
              const chosen = answer.selected.includes(option.label);
              return (
                <button
                  key={option.label}
                  type="button"
                  className={`jp-plan-option${chosen ? ' jp-mod-selected' : ''}`}
                  aria-pressed={chosen}
                  onClick={() =>
                    set(toggle(q, answer.selected, option.label), multi ? answer.text : null)
                  }
                >
                  <span className="jp-plan-option-mark" aria-hidden="true">
                    {multi ? (chosen ? '☑' : '☐') : chosen ? '✓' : ''}
                  </span>
                  <span className="jp-plan-option-label">
                    <Inline text={option.label} />
                    {option.description && (
                      <span className="jp-plan-option-description">
                        <Inline text={option.description} />
                      </span>
                    )}
                  </span>
                </button>
              );
            })}
          </div>
        </>
      )}
      {q.type === 'choice' && (
        <input
          className="jp-plan-other jp-mod-styled"
          type="text"
          aria-label={`${q.header}: another answer`}
          placeholder="Other…"
          value={answer.text ?? ''}
          onChange={e => set(multi ? answer.selected : [], e.target.value || null)}
        />
      )}
      {q.type === 'text' && (
        <textarea
          className="jp-plan-answer-text jp-mod-styled"
          aria-label={q.header}
          value={answer.text ?? ''}
          onChange={e => set([], e.target.value || null)}
        />
      )}
    </fieldset>
  );
}

export function QuestionCard(props: {
  questions: IQuestion[];
  message?: string;
  onSubmit: (answers: IAnswer[]) => void;
}): JSX.Element {
  const { questions } = props;
  const [answers, setAnswers] = React.useState<IAnswer[]>(() =>
    questions.map(q => ({ header: q.header, selected: [], text: null }))
  );
  const missing = questions.filter((_, i) => !complete(answers[i]));
  const title = questions.length === 1 ? 'The agent asks' : `The agent asks ${questions.length} questions`;
  return (
    <form
      className="jp-plan-questions"
      aria-label={title}
      onSubmit={e => {
        e.preventDefault();
        if (!missing.length) {
          props.onSubmit(answers);
        }
      }}
    >
      <div className="jp-plan-subtitle">{title}</div>
      {questions.map((q, i) => (
        <QuestionField
          key={`${i}-${q.header}`}
          index={i}
          question={q}
          answer={answers[i]}
          onChange={answer => setAnswers(answers.map((a, j) => (j === i ? answer : a)))}
        />
      ))}
      <div className="jp-plan-actions">
        <button
          type="submit"
          className="jp-plan-button jp-plan-primary jp-plan-submit"
          disabled={missing.length > 0}
        >
          Submit
        </button>
        {missing.length > 0 && (
          <span className="jp-plan-hint">
            To answer: {missing.map(q => q.header).join(', ')}
          </span>
        )}
      </div>
      {props.message && <div className="jp-plan-message" role="status">{props.message}</div>}
    </form>
  );
}
