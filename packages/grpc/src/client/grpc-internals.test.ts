import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { setValidMetadata } from './grpc-internals.js';

describe('setValidMetadata', () => {
  it('leaves metadata exactly as Metadata.set does', () => {
    const direct = new Metadata();
    const checked = new Metadata();
    for (const [key, value] of [
      ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
      ['grpc-timeout', '4999m'],
      ['grpc-accept-encoding', 'identity'],
      ['grpc-timeout', '10S'],
    ] as const) {
      setValidMetadata(direct, key, value);
      checked.set(key, value);
    }
    expect(direct.getMap()).toEqual(checked.getMap());
    expect(direct.toHttp2Headers()).toEqual(checked.toHttp2Headers());
    expect(direct.clone().get('grpc-timeout')).toEqual(['10S']);
  });

  it('uses Metadata.set (and its checks) on metadata that keeps its entries elsewhere', () => {
    const seen: [string, string][] = [];
    const foreign = { set: (key: string, value: string) => seen.push([key, value]) } as unknown as Metadata;
    setValidMetadata(foreign, 'traceparent', 'x');
    expect(seen).toEqual([['traceparent', 'x']]);
  });
});
