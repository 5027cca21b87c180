/**
 * One line of model Markdown (a step title, an option label) as React text: `code`, **bold**
 * and *emphasis* are drawn, nothing else is interpreted, and no HTML is ever made from it.
 * Cheap enough for hundreds of sidebar items, where a full Markdown render per title is not.
 */
import * as React from 'react';

export type InlineKind = 'text' | 'code' | 'strong' | 'em';

export interface IInlinePart {
  kind: InlineKind;
  text: string;
}

const TOKEN = /(`+)([^`]+?)\1|\*\*([^*]+?)\*\*|__([^_]+?)__|\*([^*\s][^*]*?)\*|_([^_\s][^_]*?)_/g;

export function inlineParts(source: string): IInlinePart[] {
  const text = source.replace(/\s+/g, ' ').trim();
  const parts: IInlinePart[] = [];
  let at = 0;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    const index = match.index;
    if (index > at) {
      parts.push({ kind: 'text', text: text.slice(at, index) });
    }
    if (match[2] !== undefined) {
      parts.push({ kind: 'code', text: match[2] });
    } else if (match[3] !== undefined || match[4] !== undefined) {
      parts.push({ kind: 'strong', text: match[3] ?? match[4] });
    } else {
      parts.push({ kind: 'em', text: match[5] ?? match[6] });
    }
    at = index + match[0].length;
  }
  if (at < text.length) {
    parts.push({ kind: 'text', text: text.slice(at) });
  }
  return parts;
}

export function Inline(props: { text: string; className?: string }): JSX.Element {
  return (
    <span className={props.className}>
      {inlineParts(props.text).map((part, i) => {
        switch (part.kind) {
          case 'code':
            return <code key={i}>{part.text}</code>;
          case 'strong':
            return <strong key={i}>{part.text}</strong>;
          case 'em':
            return <em key={i}>{part.text}</em>;
          default:
            return <React.Fragment key={i}>{part.text}</React.Fragment>;
        }
      })}
    </span>
  );
}
