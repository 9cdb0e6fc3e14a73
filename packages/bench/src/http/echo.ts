/** What every subject POSTs to `/echo`, as JSON. */
export const ECHO_PAYLOAD = Object.freeze({ message: 'hello from pnpm bench:http' });

/** The server's answer. */
export interface EchoReply {
  message: string;
  servedBy: string;
}

export const ECHO_PATH = '/echo';
