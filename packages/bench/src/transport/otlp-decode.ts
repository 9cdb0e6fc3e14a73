/** Spans of one resource (one exporting process) in an OTLP export request. */
export interface ResourceSpanCount {
  /** The resource's `service.name`, or `unknown`. */
  serviceName: string;
  spans: number;
}

interface Field {
  number: number;
  wireType: number;
  /** For length-delimited fields (wire type 2): where the bytes are. */
  start: number;
  end: number;
}

function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let position = offset;
  for (;;) {
    if (position >= bytes.length) throw new Error('protobuf: truncated varint');
    const byte = bytes[position++] as number;
    // Lengths and tags fit in 53 bits; multiplying (not shifting) keeps them exact past 32 bits.
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: position };
    shift += 7;
    if (shift > 63) throw new Error('protobuf: varint too long');
  }
}

/** The fields of one protobuf message in `bytes[start, end)`, in order. */
function fields(bytes: Uint8Array, start: number, end: number): Field[] {
  const found: Field[] = [];
  let position = start;
  while (position < end) {
    const tag = readVarint(bytes, position);
    position = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    switch (wireType) {
      case 0:
        position = readVarint(bytes, position).next;
        found.push({ number, wireType, start: position, end: position });
        break;
      case 1:
        position += 8;
        found.push({ number, wireType, start: position, end: position });
        break;
      case 2: {
        const length = readVarint(bytes, position);
        const fieldStart = length.next;
        position = fieldStart + length.value;
        found.push({ number, wireType, start: fieldStart, end: position });
        break;
      }
      case 5:
        position += 4;
        found.push({ number, wireType, start: position, end: position });
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType}`);
    }
    if (position > end) throw new Error('protobuf: field runs past the end of its message');
  }
  return found;
}

function nested(bytes: Uint8Array, parent: Field, number: number): Field[] {
  return fields(bytes, parent.start, parent.end).filter((field) => field.number === number && field.wireType === 2);
}

function text(bytes: Uint8Array, field: Field): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + field.start, field.end - field.start).toString('utf8');
}

/**
 * Counts the spans of an OTLP/protobuf `ExportTraceServiceRequest` per resource `service.name`,
 * decoding only what that needs: ResourceSpans (1) → Resource (1) → KeyValue (1) → key (1) /
 * AnyValue (2) → string_value (1); ResourceSpans (1) → ScopeSpans (2) → Span (2).
 */
export function countProtobufSpans(bytes: Uint8Array): ResourceSpanCount[] {
  const counts: ResourceSpanCount[] = [];
  for (const resourceSpans of fields(bytes, 0, bytes.length)) {
    if (resourceSpans.number !== 1 || resourceSpans.wireType !== 2) continue;
    let serviceName = 'unknown';
    for (const resource of nested(bytes, resourceSpans, 1)) {
      for (const keyValue of nested(bytes, resource, 1)) {
        const [key] = nested(bytes, keyValue, 1);
        if (!key || text(bytes, key) !== 'service.name') continue;
        const [value] = nested(bytes, keyValue, 2);
        const [stringValue] = value ? nested(bytes, value, 1) : [];
        if (stringValue) serviceName = text(bytes, stringValue);
      }
    }
    let spans = 0;
    for (const scopeSpans of nested(bytes, resourceSpans, 2)) spans += nested(bytes, scopeSpans, 2).length;
    counts.push({ serviceName, spans });
  }
  return counts;
}

/** The same for an OTLP/JSON request body. */
export function countJsonSpans(body: string): ResourceSpanCount[] {
  const request = JSON.parse(body) as {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
      scopeSpans?: { spans?: unknown[] }[];
    }[];
  };
  return (request.resourceSpans ?? []).map((resourceSpans) => ({
    serviceName:
      resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value?.stringValue ??
      'unknown',
    spans: (resourceSpans.scopeSpans ?? []).reduce((sum, scope) => sum + (scope.spans?.length ?? 0), 0),
  }));
}
