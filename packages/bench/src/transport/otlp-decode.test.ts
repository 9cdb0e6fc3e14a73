import { describe, expect, it } from 'vitest';
import { countJsonSpans, countProtobufSpans } from './otlp-decode.js';

/** Protobuf encoding helpers: just enough to build an ExportTraceServiceRequest by hand. */
function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}
const field = (number: number, payload: number[]): number[] => [
  ...varint(number * 8 + 2),
  ...varint(payload.length),
  ...payload,
];
const text = (value: string): number[] => [...Buffer.from(value, 'utf8')];
const fixed64 = (number: number): number[] => [...varint(number * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8];
const int = (number: number, value: number): number[] => [...varint(number * 8), ...varint(value)];

function keyValue(key: string, value: string): number[] {
  return field(1, [...field(1, text(key)), ...field(2, field(1, text(value)))]);
}

function span(name: string): number[] {
  // trace_id (1), span_id (2), name (5), kind (6, varint), start time (7, fixed64)
  return [
    ...field(1, new Array(16).fill(1)),
    ...field(2, new Array(8).fill(2)),
    ...field(5, text(name)),
    ...int(6, 3),
    ...fixed64(7),
  ];
}

function resourceSpans(serviceName: string, spansPerScope: number[]): number[] {
  const resource = field(1, [...keyValue('host.name', 'x'), ...keyValue('service.name', serviceName)]);
  const scopes = spansPerScope.flatMap((count) =>
    field(2, [
      ...field(1, field(1, text('scope'))),
      ...Array.from({ length: count }, () => field(2, span('Say'))).flat(),
    ]),
  );
  return field(1, [...resource, ...scopes, ...field(3, text('https://opentelemetry.io/schemas/1.0'))]);
}

describe('countProtobufSpans', () => {
  it('counts spans per resource service.name, over every scope', () => {
    const body = Uint8Array.from([...resourceSpans('client', [2, 3]), ...resourceSpans('server', [1])]);
    expect(countProtobufSpans(body)).toEqual([
      { serviceName: 'client', spans: 5 },
      { serviceName: 'server', spans: 1 },
    ]);
  });

  it('reads lengths above 127 (multi-byte varints)', () => {
    const body = Uint8Array.from(resourceSpans('s'.repeat(300), [200]));
    expect(countProtobufSpans(body)).toEqual([{ serviceName: 's'.repeat(300), spans: 200 }]);
  });

  it('names a resource without service.name "unknown", and an empty request has none', () => {
    expect(countProtobufSpans(Uint8Array.from(field(1, field(2, field(2, span('a'))))))).toEqual([
      { serviceName: 'unknown', spans: 1 },
    ]);
    expect(countProtobufSpans(new Uint8Array(0))).toEqual([]);
  });

  it('rejects a truncated message', () => {
    const body = Uint8Array.from(resourceSpans('client', [2]));
    expect(() => countProtobufSpans(body.subarray(0, body.length - 3))).toThrow(/protobuf/);
  });
});

describe('countJsonSpans', () => {
  it('counts spans per service.name in OTLP/JSON', () => {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'client' } }] },
          scopeSpans: [{ spans: [{}, {}] }, { spans: [{}] }],
        },
      ],
    });
    expect(countJsonSpans(body)).toEqual([{ serviceName: 'client', spans: 3 }]);
  });
});
