/**
 * @module Back-pressure per connection: a connection has at most a few answers in flight; the requests behind
 * them wait their turn and its socket is not read meanwhile, so pipelined requests that are answered
 * asynchronously cannot pile up answers in memory faster than the client reads them.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** One request's part in its connection's flow. */
export interface FlowTask {
  /** Starts answering the request: called once, in request order, when a place is free. */
  start(): void;
  /** The connection closed before this started request's answer was written out. */
  abandon(): void;
}

/**
 * node:http's response with its place in its connection's flow (createServer's `ServerResponse` option), so
 * one listener function serves every answer's `close`: no closure and no `once` wrapper per request, which a
 * request waiting for its tick would keep alive (and promoted) for as long as it waits.
 */
export class FlowResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  flow: ConnectionFlow | undefined = undefined;
  task: FlowTask | undefined = undefined;
}

/** Answers in flight per connection unless told otherwise: enough for a client that pipelines a little. */
export const DEFAULT_IN_FLIGHT = 4;

/**
 * Counts an answer as in flight from its start until node:http has handed all of it to the socket (its
 * response's `close`), so an answer waiting behind a client that does not read keeps its place.
 *
 * Node's parser reads the socket by itself and dispatches every request of a read at once, and a response's
 * end, a request being read and node's own flow control all resume the socket. A request that finds no free
 * place therefore pauses the socket, and every resume is undone until the waiting requests have started:
 * what a connection can hold is then its in-flight answers and the requests of one read.
 */
class ConnectionFlow {
  readonly #socket: Socket;
  readonly #max: number;
  readonly #active = new Set<FlowTask>();
  #waiting: Array<{ task: FlowTask; res: FlowResponse }> = [];
  #paused = false;
  #closed = false;

  constructor(socket: Socket, max: number) {
    this.#socket = socket;
    this.#max = max;
    socket.on('resume', () => {
      if (this.#paused) socket.pause();
    });
    socket.once('close', () => this.#close());
  }

  admit(task: FlowTask, res: FlowResponse): void {
    if (this.#closed) return;
    if (this.#active.size < this.#max && this.#waiting.length === 0) {
      this.#start(task, res);
      return;
    }
    this.#waiting.push({ task, res });
    if (!this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #start(task: FlowTask, res: FlowResponse): void {
    this.#active.add(task);
    res.flow = this;
    res.task = task;
    res.on('close', ConnectionFlow.#answerClosed);
    task.start();
  }

  /** A response's `close` (this: the response): its answer is written out, or its connection is gone. */
  static #answerClosed(this: FlowResponse): void {
    const { flow, task } = this;
    this.flow = undefined;
    this.task = undefined;
    if (flow === undefined || task === undefined || !flow.#active.delete(task)) return;
    if (!this.writableFinished) task.abandon();
    flow.#next();
  }

  #next(): void {
    while (!this.#closed && this.#active.size < this.#max) {
      const next = this.#waiting.shift();
      if (!next) break;
      this.#start(next.task, next.res);
    }
    if (this.#paused && this.#waiting.length === 0) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  /** Requests never started are dropped; started ones learn that nobody will read their answer. */
  #close(): void {
    this.#closed = true;
    this.#waiting = [];
    const active = [...this.#active];
    this.#active.clear();
    for (const task of active) task.abandon();
  }
}

/** The flows of open connections; a connection's goes away with it. */
export class ConnectionFlows {
  readonly #flows = new WeakMap<Socket, ConnectionFlow>();
  readonly #max: number;

  constructor(maxInFlight = DEFAULT_IN_FLIGHT) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`"maxInFlight" expected an integer ≥ 1, got ${maxInFlight}`);
    this.#max = maxInFlight;
  }

  /** Starts `task` now if its connection has a free place, else once the answers before it are written. */
  admit(socket: Socket, res: FlowResponse, task: FlowTask): void {
    let flow = this.#flows.get(socket);
    if (!flow) {
      flow = new ConnectionFlow(socket, this.#max);
      this.#flows.set(socket, flow);
    }
    flow.admit(task, res);
  }
}
