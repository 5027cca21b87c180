/**
 * One open `jupyter_plan` comm, DOM-free: answers the kernel's requests through the op
 * handlers, feeds `state` events to the PlansModel, and sends the frontend's own
 * requests (`approve`, `iterate`, `reject`, `build`, `set_mode`) with their answers as
 * promises.
 */
import { INotebookHost, handleRequest } from './handlers';
import { PlansModel } from '../model';
import {
  BridgeError,
  IReply,
  JSONObject,
  JSONValue,
  enableCapability,
  isObject
} from '../protocol';

enableCapability('plans_delta'); // this channel hands `plans` events to the model

/** What the channel needs of a comm (`Kernel.IComm` fits through a small adapter). */
export interface ICommLike {
  send(data: JSONObject): void;
  close(): void;
}

interface IPending {
  op: string;
  resolve: (value: JSONValue) => void;
  reject: (error: Error) => void;
}

let counter = 0;

function requestId(): string {
  counter += 1;
  return `fe-${Date.now().toString(16)}-${counter}-${Math.random().toString(16).slice(2, 8)}`;
}

export class Channel {
  private _pending = new Map<string, IPending>();
  private _ready = false;
  private _closed: string | null = null;

  constructor(
    readonly comm: ICommLike,
    readonly host: INotebookHost,
    readonly model: PlansModel
  ) {}

  /** Whether the kernel accepted the comm (`ready` received) and it is still open. */
  get ready(): boolean {
    return this._ready && this._closed === null;
  }

  get closed(): boolean {
    return this._closed !== null;
  }

  /** A message from the kernel (the comm message's `content.data`). */
  async onMessage(data: JSONValue): Promise<void> {
    if (!isObject(data)) {
      return;
    }
    if ('ok' in data && 'id' in data) {
      this._settle(data);
      return;
    }
    const op = data.op;
    if (typeof op !== 'string') {
      return;
    }
    const args = isObject(data.args) ? data.args : {};
    if (data.id === undefined || data.id === null) {
      this._event(op, args);
      return;
    }
    const reply = await handleRequest(this.host, { id: String(data.id), op, args });
    if (this._closed === null) {
      this.comm.send(reply as unknown as JSONObject);
    }
  }

  /** The comm closed (by the kernel: `data` may say why; or the kernel went away). */
  onClose(data?: JSONValue): void {
    if (this._closed !== null) {
      return;
    }
    let reason = 'the connection to the kernel closed';
    if (isObject(data) && data.ok === false && isObject(data.error)) {
      const message = String(data.error.message ?? 'refused');
      reason = `the kernel refused the connection: ${message}`;
      this.model.connection = { kind: 'refused', message };
    } else {
      this.model.connection = { kind: 'disconnected' };
    }
    this._closed = reason;
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) {
      p.reject(new BridgeError(`${p.op} did not finish: ${reason}`));
    }
    this.model.clearLive();
  }

  /** Close from this side (panel closed, kernel changed). */
  dispose(): void {
    if (this._closed === null) {
      try {
        this.comm.close();
      } catch {
        // the kernel is gone already
      }
      this.onClose();
    }
  }

  /** A frontend → kernel request; resolves with the kernel's result. */
  request(op: string, args: JSONObject = {}): Promise<JSONValue> {
    if (this._closed !== null) {
      return Promise.reject(new BridgeError(`cannot ${op}: ${this._closed}`));
    }
    const id = requestId();
    return new Promise<JSONValue>((resolve, reject) => {
      this._pending.set(id, { op, resolve, reject });
      try {
        this.comm.send({ id, op, args });
      } catch (error) {
        this._pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private _event(op: string, args: JSONObject): void {
    if (op === 'ready') {
      this._ready = true;
      this.model.connection = { kind: 'connected' };
    } else if (op === 'state') {
      this.model.applyState(args);
    } else if (op === 'plans') {
      this.model.applyDelta(args); // only the plans that changed (docs/protocol.md)
    }
  }

  private _settle(data: JSONObject): void {
    const reply = data as unknown as IReply;
    const pending = this._pending.get(String(reply.id));
    if (!pending) {
      return;
    }
    this._pending.delete(String(reply.id));
    if (reply.ok) {
      pending.resolve(reply.result ?? null);
    } else {
      const error = isObject(reply.error) ? reply.error : { type: 'Error', message: '?' };
      pending.reject(
        new BridgeError(String(error.message ?? 'failed'), String(error.type ?? 'Error'))
      );
    }
  }
}
