/**
 * The `jupyter_plan` comm protocol (see jupyter_plan/bridge/comm.py, the reference).
 * Pure types and small type guards: no DOM, no JupyterLab.
 */
import type { JSONObject, JSONValue, PartialJSONValue } from '@lumino/coreutils';

export const TARGET = 'jupyter_plan';
export const PROTOCOL_VERSION = 1;
export const PLAN_MIME = 'application/vnd.jupyter-plan+json';
/** What every panel can do for the kernel; `cards` joins once the card views are registered. */
export const CAPABILITIES = ['edit', 'run', 'checkpoint'];

/** Announce a capability in the panels' open data from now on (`cards`: this frontend draws
 * the kernel's run cards natively, the `jupyter-plan` widget views). */
export function enableCapability(name: string): void {
  if (!CAPABILITIES.includes(name)) {
    CAPABILITIES.push(name);
  }
}

/** The modes the switcher cycles through. */
export type ApprovalMode = 'default' | 'auto_edit' | 'plan';
export const APPROVAL_MODES: ApprovalMode[] = ['default', 'auto_edit', 'plan'];
/** What a kernel may report: also `yolo` (set by `%plan mode yolo`), or null when unset
 * (each build then uses the mode chosen when its plan was approved). */
export type KernelMode = ApprovalMode | 'yolo' | null;
export type BuildMode = 'auto_edit' | 'default';

export type CellType = 'code' | 'markdown' | 'raw';

/** Open data, frontend → kernel. */
export interface IOpenData extends JSONObject {
  path: string;
  notebook_id: string;
  capabilities: string[];
  protocol: number;
}

export interface IErrorPayload extends JSONObject {
  type: string;
  message: string;
}

/** `{id, op, args}`: a request (either way). */
export interface IRequest {
  id: string;
  op: string;
  args: JSONObject;
}

/** `{op, args}`: an event (either way), never answered. */
export interface IEvent {
  op: string;
  args: JSONObject;
}

export type IReply =
  | { id: string; ok: true; result: JSONValue }
  | { id: string; ok: false; error: IErrorPayload & { cell_id?: string } };

/** One cell as get_notebook reports it. */
export interface ICellData {
  id: string;
  cell_type: CellType;
  source: string;
  outputs: JSONObject[];
  execution_count: number | null;
  metadata: JSONObject;
}

export interface INewCell {
  cell_type: CellType;
  source: string;
  metadata: JSONObject;
}

export interface ICellRun {
  cell_id: string;
  status: 'ok' | 'error' | 'aborted';
  execution_count: number | null;
  outputs: JSONObject[];
  error: string | null;
}

/** What a saved plan output / a kernel `state` event holds for one plan (render.py plan_json). */
export interface IPlanStep {
  id: string;
  title: string;
  status: 'pending' | 'in_progress' | 'done' | 'failed' | 'skipped';
  description?: string;
  verification?: string;
  note?: string | null;
}

export interface IApproach {
  title: string;
  summary?: string;
  recommended?: boolean;
}

export type PlanStatus =
  | 'drafting'
  | 'awaiting_review'
  | 'approved'
  | 'building'
  | 'built'
  | 'rejected';

export interface IPlanUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  cost_usd?: number | null;
}

export interface IPlanJSON {
  version: number;
  id: string;
  title: string;
  goal?: string;
  status: PlanStatus;
  revision: number;
  steps: IPlanStep[];
  build_mode?: BuildMode | null;
  model?: string | null;
  usage?: IPlanUsage;
  notebook_path?: string | null;
  created?: string;
  updated?: string;
  markdown?: string;
  approaches?: IApproach[];
  chosen_approach?: string | null;
  questions?: Array<{ header: string; question: string; answer: string }>;
  /** The revision before the latest, and the feedback that led on (what Iterate changed). */
  previous?: { revision: number; markdown: string; feedback?: string | null } | null;
  /** The plan's Markdown file, relative to the notebook's folder. */
  file?: string | null;
  /** The plan's live run in this kernel (phase, valid actions, what waits for the person). */
  run?: IRunSummary;
  /** "person" when the latest revision is the person's hand edit. */
  edited_by?: 'person';
  /** The pages the plan references. */
  pages?: string[];
  /** Comments on the revision before, each with this revision's answer. */
  comments?: Array<{ anchor: string; text: string; addressed: boolean | null; note: string }>;
}

/** The actions a run may offer (jupyter_plan/ui/phases.py). */
export type RunAction =
  | 'approve_auto_edit'
  | 'approve_default'
  | 'iterate'
  | 'reject'
  | 'stop'
  | 'retry'
  | 'live'
  | 'keep'
  | 'resume'
  | 'build'
  | 'undo'
  | 'rebuild';

export interface IRunError {
  message: string;
  fix?: string;
  details?: string;
}

/** A live run as the sidebar lists it (jupyter_plan/ui/snapshot.py run_summary). */
export interface IRunSummary {
  key: string;
  kind: 'plan' | 'build';
  cell_id: string | null;
  phase: string;
  label: string;
  live: boolean;
  actions: RunAction[];
  pending: { questions: number; approval: boolean };
  activity?: string;
  error: IRunError | null;
}

export interface IQuestion {
  question: string;
  header: string;
  type: 'choice' | 'text' | 'yesno';
  options: Array<{ label: string; description?: string }>;
  multiSelect?: boolean;
}

export interface IApprovalRequest {
  tool: string;
  args: JSONObject;
  reason: string;
  rule: string | null;
  preview: string;
  preview_kind: 'diff' | 'code' | 'command' | 'text';
  what: string;
  where: string;
  step: string;
  language: string;
  sentence: string;
}

/** A run card's whole state (jupyter_plan/ui/snapshot.py card_state). */
export interface ICardState extends IRunSummary {
  version: number;
  title: string;
  plan: IPlanJSON | null;
  progress: {
    turn: number;
    activity: string;
    tokens: number;
    cost_usd: number | null;
    elapsed: number;
    running: boolean;
  };
  narration: string;
  questions: IQuestion[];
  approval: IApprovalRequest | null;
  history: Array<{ kind: string; text: string }>;
  summary: string;
  message: string;
  refused: string[];
  handed_over: boolean;
  action_labels: { [action: string]: string };
  confirm: RunAction[];
  /** pages.suggest_after_chars: a plan longer than this is offered to become a page. */
  suggest_after_chars?: number | null;
}

/** A protocol error: answered as `{type, message}` (plus `cell_id` for CellNotFound). */
export class BridgeError extends Error {
  constructor(
    message: string,
    readonly type: string = 'BridgeError'
  ) {
    super(message);
  }
  payload(): IErrorPayload & { cell_id?: string } {
    return { type: this.type, message: this.message };
  }
}

export class CellNotFound extends BridgeError {
  constructor(readonly cellId: string) {
    super(`no cell with id ${JSON.stringify(cellId)} in this notebook`, 'CellNotFound');
  }
  payload(): IErrorPayload & { cell_id?: string } {
    return { ...super.payload(), cell_id: this.cellId };
  }
}

export function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function errorPayload(error: unknown): IErrorPayload & { cell_id?: string } {
  if (error instanceof BridgeError) {
    return error.payload();
  }
  if (error instanceof Error) {
    return { type: error.name || 'Error', message: error.message };
  }
  return { type: 'Error', message: String(error) };
}

/** Whether `value` looks like a plan JSON (required fields of PLAN_JSON_SCHEMA). */
export function isPlanJSON(value: unknown): value is IPlanJSON {
  if (!isObject(value)) {
    return false;
  }
  return (
    typeof value.id === 'string' &&
    typeof value.title === 'string' &&
    typeof value.status === 'string' &&
    typeof value.revision === 'number' &&
    Array.isArray(value.steps)
  );
}

export type { JSONObject, JSONValue, PartialJSONValue };
