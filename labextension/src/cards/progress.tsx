/**
 * A run at work: what it is doing in words, a live elapsed timer (the kernel sends the time
 * at its last update; the card counts on from there), tokens and cost, and the agent's own
 * words as it streams them.
 */
import * as React from 'react';
import { ICardState } from '../protocol';
import { Inline } from './inline';

export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  return whole < 60 ? `${whole}s` : `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Seconds shown: the kernel's `elapsed`, plus the time since it said so while running. */
export function useElapsed(elapsed: number, running: boolean): number {
  const [now, setNow] = React.useState(() => Date.now());
  const since = React.useMemo(() => Date.now(), [elapsed, running]);
  React.useEffect(() => {
    if (!running) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return running ? elapsed + Math.max(0, now - since) / 1000 : elapsed;
}

export function ProgressLine(props: { state: ICardState }): JSX.Element {
  const { progress } = props.state;
  const seconds = useElapsed(progress.elapsed, progress.running);
  const parts = [
    progress.tokens ? `${progress.tokens.toLocaleString('en-US')} tokens` : '',
    typeof progress.cost_usd === 'number' ? `$${progress.cost_usd.toFixed(4)}` : ''
  ].filter(Boolean);
  return (
    <div className="jp-plan-progress">
      {progress.running && (
      <div className="jp-plan-progress-line">
        {progress.running && <span className="jp-plan-spinner" aria-hidden="true" />}
        <span className="jp-plan-activity" aria-live="polite">
          {progress.activity}
        </span>
        <span className="jp-plan-timer" title="elapsed">
          {clock(seconds)}
        </span>
        {parts.map(p => (
          <span key={p} className="jp-plan-usage">
            {p}
          </span>
        ))}
      </div>
      )}
      {props.state.narration && props.state.phase !== 'awaiting_review' && (
        <blockquote className="jp-plan-narration" aria-label="The agent says">
          {props.state.narration.split('\n').map((line, i) => (
            <Inline key={i} text={line} className="jp-plan-narration-line" />
          ))}
        </blockquote>
      )}
    </div>
  );
}
