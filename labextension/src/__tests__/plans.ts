import type { IPlanJSON } from '../protocol';

/** A plan as the kernel sends it: revision 1 with one pending step, created on day
 * `id.length` of January 2026 (so ids of different lengths sort by age); `extra` overrides. */
export function planJSON(id: string, extra: Partial<IPlanJSON> = {}): IPlanJSON {
  return {
    version: 1,
    id,
    title: `Plan ${id}`,
    status: 'awaiting_review',
    revision: 1,
    steps: [{ id: 'S1', title: 'Load', status: 'pending' }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost_usd: 0.01 },
    created: `2026-01-0${id.length}T00:00:00`,
    ...extra
  };
}
