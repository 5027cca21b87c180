import { counts, lineDiff, lines, parseUnified } from '../cards/diff';
import { inlineParts } from '../cards/inline';
import { folded } from '../cards/diffview';
import { inReadingOrder, sectionKind, splitPlan } from '../cards/sections';
import { toggle } from '../cards/question';
import { withCellNumbers } from '../cards/approval';
import { clock } from '../cards/progress';
import { entryActions, waiting } from '../model';
import type { IPlanJSON, IQuestion, IRunSummary } from '../protocol';

describe('line diffs', () => {
  it('a source without a final newline diffs into separate exact lines', () => {
    const rows = lineDiff('by_customer = df.round(3)', 'summary = df.describe()');
    expect(rows).toEqual([
      { kind: 'del', text: 'by_customer = df.round(3)' },
      { kind: 'add', text: 'summary = df.describe()' }
    ]);
  });

  it('keeps unchanged lines as context and counts changes', () => {
    const rows = lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n');
    expect(rows.map(r => `${r.kind}:${r.text}`)).toEqual([
      'ctx:a',
      'del:b',
      'add:B',
      'ctx:c',
      'add:d'
    ]);
    expect(counts(rows)).toEqual({ added: 2, removed: 1 });
  });

  it('a final newline ends a line, it does not add one', () => {
    expect(lines('a\nb\n')).toEqual(['a', 'b']);
    expect(lines('a\nb')).toEqual(['a', 'b']);
    expect(lines('')).toEqual([]);
  });

  it('parses a unified diff without joining lines', () => {
    const rows = parseUnified('--- a (now)\n+++ a (proposed)\n@@ -1 +1 @@\n-x = 1\n+x = 2\n y');
    expect(rows).toEqual([
      { kind: 'file', text: '--- a (now)' },
      { kind: 'file', text: '+++ a (proposed)' },
      { kind: 'hunk', text: '@@ -1 +1 @@' },
      { kind: 'del', text: 'x = 1' },
      { kind: 'add', text: 'x = 2' },
      { kind: 'ctx', text: 'y' }
    ]);
  });

  it('folds long unchanged runs', () => {
    const rows = lineDiff('1\n2\n3\n4\n5\n6\n7\n', '1\n2\n3\n4\n5\n6\nX\n');
    const shown = folded(rows, 1);
    expect(shown[0]).toEqual({ kind: 'fold', text: '… 5 unchanged lines' });
    expect(shown.slice(1).map(r => r.kind)).toEqual(['ctx', 'del', 'add']);
  });
});

describe('plan sections', () => {
  const doc = [
    '# Clean the data',
    'Intro text.',
    '## Steps',
    '### S1. Load',
    '```python',
    '## not a heading',
    '```',
    'Verify: ok',
    '## Risks',
    'Dates may be ambiguous.',
    '## Context found',
    '`sales` has 60 rows.',
    '## Alternatives considered',
    '- **duckdb**: heavier'
  ].join('\n');

  it('splits by level-2 headings, not inside fences', () => {
    const parts = splitPlan(doc);
    expect(parts.title).toBe('Clean the data');
    expect(parts.intro).toBe('Intro text.');
    expect(parts.sections.map(s => s.kind)).toEqual(['steps', 'risks', 'context', 'alternatives']);
    expect(parts.sections[0].body).toContain('## not a heading');
  });

  it('orders sections as a reviewer reads them', () => {
    const order = inReadingOrder(splitPlan(doc).sections).map(s => s.kind);
    expect(order).toEqual(['context', 'alternatives', 'steps', 'risks']);
    expect(sectionKind('Objective')).toBe('summary');
    expect(sectionKind('Something else')).toBe('other');
  });
});

describe('inline Markdown', () => {
  it('draws code, strong and emphasis and nothing else', () => {
    expect(inlineParts('Group `sales` by **region** <img src=x>')).toEqual([
      { kind: 'text', text: 'Group ' },
      { kind: 'code', text: 'sales' },
      { kind: 'text', text: ' by ' },
      { kind: 'strong', text: 'region' },
      { kind: 'text', text: ' <img src=x>' }
    ]);
  });
});

describe('questions', () => {
  const single: IQuestion = {
    question: 'Which?',
    header: 'Pick',
    type: 'choice',
    options: [{ label: 'A' }, { label: 'B' }]
  };
  it('a single choice keeps one option, a multiple choice any', () => {
    expect(toggle(single, ['A'], 'B')).toEqual(['B']);
    expect(toggle(single, ['A'], 'A')).toEqual([]);
    expect(toggle({ ...single, multiSelect: true }, ['A'], 'B')).toEqual(['A', 'B']);
  });
});

describe('approval words', () => {
  it('names cells by their place in the notebook', () => {
    const label = (id: string) => (id === 'abc' ? 'cell 4' : null);
    expect(withCellNumbers('Insert a code cell and run it after cell abc?', label)).toBe(
      'Insert a code cell and run it after cell 4?'
    );
    expect(withCellNumbers('Change cell zzz?', label)).toBe('Change cell zzz?');
  });
  it('formats a timer', () => {
    expect(clock(0)).toBe('0s');
    expect(clock(61.4)).toBe('1:01');
  });
});

describe('what a plan offers', () => {
  const run = (over: Partial<IRunSummary>): IRunSummary => ({
    key: 'run-1',
    kind: 'plan',
    cell_id: null,
    phase: 'working',
    label: 'drafting',
    live: true,
    actions: ['stop'],
    pending: { questions: 0, approval: false },
    error: null,
    ...over
  });
  const plan = (over: Partial<IPlanJSON>): IPlanJSON => ({
    version: 1,
    id: 'p',
    title: 'P',
    status: 'drafting',
    revision: 1,
    steps: [],
    ...over
  });

  it('a run offers only its actions; a saved plan offers none', () => {
    expect(entryActions({ plan: plan({ run: run({}) }), cellId: null, live: true })).toEqual([
      'stop'
    ]);
    expect(entryActions({ plan: plan({ status: 'approved' }), cellId: null, live: false })).toEqual(
      []
    );
    expect(entryActions({ plan: plan({ status: 'approved' }), cellId: null, live: true })).toEqual([
      'build'
    ]);
    expect(entryActions({ plan: plan({ status: 'drafting' }), cellId: null, live: true })).toEqual([]);
  });

  it('says what waits for the person', () => {
    expect(waiting(plan({ run: run({ pending: { questions: 1, approval: false } }) }))).toBe(
      'A question waits for you'
    );
    expect(waiting(plan({ run: run({ pending: { questions: 0, approval: true } }) }))).toBe(
      'An approval waits for you'
    );
    expect(waiting(plan({}))).toBeNull();
  });
});
