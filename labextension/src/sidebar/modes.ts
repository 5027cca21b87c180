/**
 * The session's approval mode as every view shows it, and how it moves: the mode cycle
 * (the palette command, Alt+Shift+P, the status bar and toolbar items) and the prompt box's
 * Agent / Plan choice. DOM-free, so the rules are tested without a page.
 *
 * As in Gemini CLI, the cycle is default → auto_edit → plan → default, and plan is left out
 * while the agent works or an approval is showing: switching to read-only under a running
 * tool call or an open confirmation would change the rules the person is answering under.
 */
import { PlansModel } from '../model';
import { APPROVAL_MODES, ApprovalMode, KernelMode } from '../protocol';

/** Run phases in which the agent works or waits on an approval (jupyter_plan/ui/phases.py). */
const BUSY_PHASES = new Set(['starting', 'working', 'building', 'confirming']);

/** Why plan is not offered now, or null when it is (a run works, or an approval shows). */
export function planBlocked(model: PlansModel): string | null {
  for (const entry of model.plans) {
    const run = entry.plan.run;
    if (!run || !run.live) {
      continue;
    }
    if (run.pending.approval || run.phase === 'confirming') {
      return 'an approval is showing';
    }
    if (BUSY_PHASES.has(run.phase)) {
      return 'the agent is running';
    }
  }
  return null;
}

/** The mode the views show: the session's, else the `default_approval_mode` setting when a
 * settings file or variable chose one (null: each build uses the mode chosen at approval). */
export function shownMode(model: PlansModel): KernelMode {
  return model.mode ?? model.defaultMode;
}

/** The next mode of the cycle from `mode`; plan is skipped while `blocked`. */
export function cycleMode(mode: KernelMode, blocked: boolean): ApprovalMode {
  const cycle = blocked ? APPROVAL_MODES.filter(m => m !== 'plan') : APPROVAL_MODES;
  const index = cycle.indexOf(mode as ApprovalMode);
  return index < 0 ? 'default' : cycle[(index + 1) % cycle.length];
}

/** This panel's guess of the next mode, shown at once when the cycle is pressed; the kernel
 * decides (`cycle_mode`, jupyter_plan/notebook/mode_cycle.py): it knows sooner when a run stops. */
export function nextModeOf(model: PlansModel): ApprovalMode {
  return cycleMode(shownMode(model), planBlocked(model) !== null);
}

/** The prompt box's two choices: the agent in the session's mode, or a plan. */
export type PromptChoice = 'agent' | 'plan';

/** What the dropdown shows for a mode: Plan for plan, else Agent. */
export function choiceOf(mode: KernelMode): PromptChoice {
  return mode === 'plan' ? 'plan' : 'agent';
}

/** The cell the prompt box inserts: `%%agent` or `%%plan`, then the task as typed; null for
 * a task of only white space (nothing to ask). */
export function promptSource(choice: PromptChoice, task: string): string | null {
  const body = task.replace(/^\s*\n/, '').replace(/\s+$/, '');
  if (!body.trim()) {
    return null;
  }
  return `%%${choice}\n${body}`;
}
