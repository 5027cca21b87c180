/**
 * A plan document split into the parts a reviewer reads: title, summary, context found,
 * alternatives (with the recommendation), steps, verification, risks. Pure: no DOM.
 *
 * The model writes the plan as Markdown (`# Title`, `## Section`, `### S1. Step`); headings
 * inside code fences are text, as CommonMark says.
 */

export type SectionKind =
  | 'summary'
  | 'context'
  | 'alternatives'
  | 'steps'
  | 'verification'
  | 'risks'
  | 'other';

export interface IPlanSection {
  heading: string;
  kind: SectionKind;
  body: string;
}

export interface IPlanSections {
  title: string;
  /** Text between the title and the first section. */
  intro: string;
  sections: IPlanSection[];
}

const KINDS: Array<[SectionKind, RegExp]> = [
  ['steps', /^(steps|changes|implementation steps|plan)$/],
  ['alternatives', /^(alternatives( considered)?|approaches( considered)?)$/],
  ['context', /^context( found)?$/],
  ['summary', /^(summary|objective|goal|overview)$/],
  ['verification', /^(verification|how to verify|testing)$/],
  ['risks', /^(risks?|risks and mitigations|caveats)$/]
];

/** The order a reviewer reads them in, whatever order the model wrote. */
export const READING_ORDER: SectionKind[] = [
  'summary',
  'context',
  'alternatives',
  'steps',
  'verification',
  'risks',
  'other'
];

export function sectionKind(heading: string): SectionKind {
  const name = heading.trim().toLowerCase();
  for (const [kind, pattern] of KINDS) {
    if (pattern.test(name)) {
      return kind;
    }
  }
  return 'other';
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function splitPlan(markdown: string): IPlanSections {
  const body = stripFrontMatter(markdown);
  let title = '';
  const intro: string[] = [];
  const sections: Array<{ heading: string; lines: string[] }> = [];
  let fence: string | null = null;
  for (const line of body.split('\n')) {
    const opener = FENCE.exec(line);
    if (fence === null && opener) {
      fence = opener[1];
    } else if (fence !== null && line.trim().startsWith(fence[0].repeat(fence.length))) {
      fence = null;
    } else if (fence === null) {
      const h1 = /^#\s+(.+?)\s*#*\s*$/.exec(line);
      const h2 = /^##\s+(.+?)\s*#*\s*$/.exec(line);
      if (h1 && !title && sections.length === 0) {
        title = h1[1];
        continue;
      }
      if (h2) {
        sections.push({ heading: h2[1], lines: [] });
        continue;
      }
    }
    (sections.length ? sections[sections.length - 1].lines : intro).push(line);
  }
  return {
    title,
    intro: intro.join('\n').trim(),
    sections: sections.map(s => ({
      heading: s.heading,
      kind: sectionKind(s.heading),
      body: s.lines.join('\n').trim()
    }))
  };
}

/** Sections in reading order (stable within a kind). */
export function inReadingOrder(sections: IPlanSection[]): IPlanSection[] {
  return [...sections].sort(
    (a, b) => READING_ORDER.indexOf(a.kind) - READING_ORDER.indexOf(b.kind)
  );
}

function stripFrontMatter(text: string): string {
  if (text.startsWith('---\n')) {
    const end = text.indexOf('\n---\n', 4);
    if (end !== -1) {
      return text.slice(end + 5).replace(/^\n+/, '');
    }
  }
  return text;
}
