/**
 * Why a run failed, said once: the message, what to do about it, and the raw details (a
 * provider's exception chain) behind a disclosure.
 */
import * as React from 'react';
import { IRunError } from '../protocol';

export function ErrorNotice(props: { error: IRunError; stopped?: boolean }): JSX.Element {
  const { error } = props;
  return (
    <div
      className={props.stopped ? 'jp-plan-notice jp-plan-stopped' : 'jp-plan-notice jp-plan-error'}
      role={props.stopped ? 'status' : 'alert'}
    >
      <div className="jp-plan-error-message">{error.message}</div>
      {error.fix && <div className="jp-plan-error-fix">{error.fix}</div>}
      {error.details && (
        <details className="jp-plan-error-details">
          <summary>Details</summary>
          <pre>{error.details}</pre>
        </details>
      )}
    </div>
  );
}
