import { describe, expect, it } from 'vitest';
import { LeaseInspector } from './lease-inspector.js';

describe('LeaseInspector.forUrl', () => {
  it('refuses a URL that is not a string as INVALID_ARGUMENT naming url (it was a raw TypeError)', () => {
    for (const url of [undefined, null, 6379, new URL('redis://u:secret@127.0.0.1:1')]) {
      expect(() => LeaseInspector.forUrl(url as never, 'switchyard'), String(url)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'url' }),
      );
    }
  });

  it('refuses a namespace that is not one as INVALID_ARGUMENT naming namespace, before connecting', () => {
    for (const namespace of [undefined, 7, '', 'a:b']) {
      expect(() => LeaseInspector.forUrl('redis://127.0.0.1:1', namespace as never), String(namespace)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'namespace' }),
      );
    }
  });

  it('has nothing to inspect for memory://', () => {
    expect(LeaseInspector.forUrl('memory://', 'switchyard')).toBeUndefined();
  });
});
