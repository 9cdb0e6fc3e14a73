import { describe, expect, it } from 'vitest';
import { deepText, recordingLogger } from './recording-logger.js';

// deepText is what every "no secret in logs or errors" verdict of this package searches: anything a
// log serializer would write and deepText leaves out is a leak those tests cannot see.
const SECRET = 'Sy-Secret-5f3a9c';
const url = `redis://user:${SECRET}@127.0.0.1:6379`;

describe('deepText', () => {
  it('renders what JSON.stringify (pino, the default logger) writes: toJSON(), e.g. a URL object with its password', () => {
    // JSON.stringify(new URL(…)) is its href, password included; its properties are prototype getters.
    expect(JSON.stringify({ url: new URL(url) })).toContain(SECRET);
    expect(deepText({ url: new URL(url) })).toContain(SECRET);
    expect(deepText({ endpoint: { toJSON: () => ({ href: url }) } })).toContain(SECRET);
    expect(deepText(new Error('connect failed', { cause: { target: new URL(url) } }))).toContain(SECRET);
  });

  it('renders the contents of Sets (util.inspect and console print them) as it does those of Maps', () => {
    expect(deepText({ hosts: new Set([url]) })).toContain(SECRET);
    expect(deepText({ hosts: new Map([['primary', url]]) })).toContain(SECRET);
  });

  it('renders errors with every own property and their cause chain, and buffers as text and base64', () => {
    const error = Object.assign(new Error('outer', { cause: new Error(`inner ${SECRET}`) }), {
      command: { args: [1] },
    });
    expect(deepText(error)).toContain(SECRET);
    expect(deepText({ raw: Buffer.from(SECRET) })).toContain(SECRET);
    expect(deepText({ raw: Buffer.from(`xx${SECRET}`) })).toContain(Buffer.from(`xx${SECRET}`).toString('base64'));
  });

  it('survives cycles and a toJSON() that throws', () => {
    const cyclic: Record<string, unknown> = { secret: SECRET };
    cyclic.self = cyclic;
    expect(deepText(cyclic)).toContain(SECRET);
    expect(
      deepText({
        secret: SECRET,
        broken: {
          toJSON() {
            throw new Error('no');
          },
        },
      }),
    ).toContain(SECRET);
  });
});

describe('recordingLogger', () => {
  it("keeps a field's secret visible to text(), whatever the field's type", () => {
    const logger = recordingLogger();
    logger.warn({ url: new URL(url), hosts: new Set([url]) }, 'reconnecting');
    expect(logger.text().split(SECRET)).toHaveLength(3);
  });
});
