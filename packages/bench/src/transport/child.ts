import { type ChildProcess, fork } from 'node:child_process';

/** Options of {@link Child}. */
export interface ChildOptions {
  /** Node flags of the child (`--cpu-prof`, `--import <preload>`). */
  execArgv?: readonly string[];
  /** Extra environment variables, over this process's. */
  env?: Record<string, string>;
}

/**
 * A forked child process that answers one message at a time over IPC: the client workers and the
 * servers of the transport benchmarks. A child that exits, or replies `error`, fails the request
 * in flight and every later one.
 */
export class Child<Request, Reply extends { type: string }> {
  private readonly child: ChildProcess;
  private waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined;
  private early: Reply[] = [];
  private failure: Error | undefined;

  constructor(
    readonly name: string,
    file: string,
    options: ChildOptions = {},
  ) {
    this.child = fork(file, [], {
      execArgv: [...(options.execArgv ?? [])],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: Reply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (!waiting) {
        this.early.push(reply);
        return;
      }
      if (reply.type === 'error') {
        this.failure = new Error(`${name}: ${(reply as { message?: string }).message}`);
        waiting.reject(this.failure);
      } else waiting.resolve(reply);
    });
    this.child.on('exit', (code, signal) => {
      this.failure ??= new Error(`${name} exited (code ${code}, signal ${signal})`);
      this.waiting?.reject(this.failure);
      this.waiting = undefined;
    });
  }

  /** The next reply (one sent before anyone asked is returned first), which must be of type `expected`. */
  next<Type extends Reply['type']>(expected: Type): Promise<Extract<Reply, { type: Type }>> {
    const early = this.early.shift();
    if (early) return Promise.resolve(this.check(early, expected));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = {
        resolve: (reply) => {
          try {
            resolve(this.check(reply, expected));
          } catch (error) {
            reject(error);
          }
        },
        reject,
      };
    });
  }

  /** Sends `request` and waits for the reply of type `expected`. */
  request<Type extends Reply['type']>(request: Request, expected: Type): Promise<Extract<Reply, { type: Type }>> {
    if (this.failure) return Promise.reject(this.failure);
    const reply = this.next(expected);
    this.child.send(request as object);
    return reply;
  }

  /** Resolves when the process has exited (after a `close` request, say). */
  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
  }

  private check<Type extends Reply['type']>(reply: Reply, expected: Type): Extract<Reply, { type: Type }> {
    if (reply.type === 'error') {
      this.failure = new Error(`${this.name}: ${(reply as { message?: string }).message}`);
      throw this.failure;
    }
    if (reply.type !== expected) throw new Error(`${this.name}: expected ${expected}, got ${reply.type}`);
    return reply as Extract<Reply, { type: Type }>;
  }
}
