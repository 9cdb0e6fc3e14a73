import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** A reply as decoded from RESP2. Error replies reject the command instead. */
export type RespValue = string | number | null | RespValue[];

/** Where and how to send a command. */
export interface RedisCommandTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls?: boolean;
  /** @default 1_000 */
  timeoutMs?: number;
}

/**
 * Sends one command on a fresh connection (after `AUTH` when a password is given) and returns its reply.
 * A deliberately tiny RESP2 client: the package needs PING, INFO, CLUSTER and SENTINEL at setup time and must not
 * depend on the client library under test.
 */
export function redisCommand(target: RedisCommandTarget, args: readonly (string | number)[]): Promise<RespValue> {
  const commands: (readonly (string | number)[])[] = [];
  if (target.password !== undefined) {
    commands.push(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
  }
  commands.push(args);
  const name = `${String(args[0]).toUpperCase()} to ${target.host}:${target.port}`;
  const timeoutMs = target.timeoutMs ?? 1_000;

  return new Promise((resolve, reject) => {
    const socket: Socket = target.tls
      ? connectTls({ host: target.host, port: target.port, rejectUnauthorized: false })
      : connectTcp({ host: target.host, port: target.port });
    let buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const finish = (error: Error | undefined, value?: RespValue) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? null);
    };
    const timer = setTimeout(() => finish(new Error(`${name} timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    socket.on('error', (error) => finish(new Error(`${name} failed: ${error.message}`, { cause: error })));
    socket.on('close', () => finish(new Error(`${name}: connection closed before the reply`)));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        let parsed: Parsed | undefined;
        try {
          parsed = parseReply(buffer, 0);
        } catch (error) {
          finish(new Error(`${name}: ${(error as Error).message}`));
          return;
        }
        if (!parsed) return;
        buffer = buffer.subarray(parsed.next);
        if (parsed.value instanceof RespError) {
          finish(new Error(`${name}: ${parsed.value.message}`));
          return;
        }
        replies.push(parsed.value);
        if (replies.length === commands.length) {
          finish(undefined, replies[replies.length - 1]);
          return;
        }
      }
    });
    socket.write(Buffer.concat(commands.map(encodeCommand)));
  });
}

class RespError {
  constructor(readonly message: string) {}
}

interface Parsed {
  value: RespValue | RespError;
  next: number;
}

function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one RESP2 reply at `offset`; `undefined` means "need more bytes". */
function parseReply(buffer: Buffer, offset: number): Parsed | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let index = 0; index < count; index++) {
        const item = parseReply(buffer, next);
        if (!item) return undefined;
        if (item.value instanceof RespError) throw new Error(`error inside an array reply: ${item.value.message}`);
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}
