import type { HttpResponse } from './http-client-types.js';

/**
 * The streamed responses a call's attempts handed up, until the call knows which one it returns.
 * Usually one. A policy that runs attempts side by side and chooses among them once they have
 * answered (or a hedge that answered in the same turn as the winner) leaves others, whose bodies
 * nobody will read: each would hold its connection, and the instance would go on sending it, until
 * the body timed out. Those are closed as soon as the call has chosen.
 */
export class UntakenResponses {
  private held: HttpResponse[] | undefined = [];

  /** An attempt's response: held until the call has chosen, closed at once after that. */
  add(response: HttpResponse): void {
    if (this.held === undefined) discard(response);
    else this.held.push(response);
  }

  /** The call returns `taken` (nothing, when it failed): every other response is closed. */
  settle(taken: unknown): void {
    const held = this.held;
    this.held = undefined;
    for (const response of held ?? []) if (response !== taken) discard(response);
  }
}

/**
 * Closes a body nobody will read. undici destroys an unfinished body with an AbortError, which the
 * client keeps on the body rather than emit to no listener (see translateBodyErrors).
 */
function discard(response: HttpResponse): void {
  response.body.destroy();
}
