// The gRPC container health check every shopping-guide gRPC service runs (deploy/services.json
// "healthcheck"): each image's /app/healthcheck.mjs calls runGrpcHealthcheck from here.
// Plain JavaScript with only @grpc/grpc-js, so it starts fast and needs no TypeScript loader.
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';

const TIMEOUT_MS = 2_000;
const SERVING = 1;

// HealthCheckRequest { string service = 1; }
function encodeRequest(name) {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0) return Buffer.alloc(0);
  const length = [];
  for (let rest = bytes.length; ; rest >>>= 7) {
    if (rest < 0x80) {
      length.push(rest);
      break;
    }
    length.push((rest & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...length]), bytes]);
}

// HealthCheckResponse { ServingStatus status = 1; } (a varint; other fields skipped)
function decodeStatus(bytes) {
  let offset = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; offset < bytes.length; shift += 7) {
      const byte = bytes[offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    return value;
  };
  let status = 0;
  while (offset < bytes.length) {
    const key = varint();
    const wireType = key & 7;
    if (key >>> 3 === 1 && wireType === 0) status = varint();
    else if (wireType === 0) varint();
    else if (wireType === 2) offset += varint();
    else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else break;
  }
  return { status };
}

const Health = makeGenericClientConstructor(
  {
    Check: {
      path: '/grpc.health.v1.Health/Check',
      requestStream: false,
      responseStream: false,
      requestSerialize: encodeRequest,
      requestDeserialize: (bytes) => bytes,
      responseSerialize: (value) => value,
      responseDeserialize: decodeStatus,
    },
  },
  'Health',
);

/**
 * Asks grpc.health.v1.Health/Check on 127.0.0.1:`port` for `service` and ends the process: exit
 * code 0 only for SERVING, else 1 with the reason on stderr. Gives up after 2 s.
 *
 * @param {{ port: string | number, service?: string }} options `service` "" (the default) is the
 *   whole server, i.e. readiness; "liveness" is the liveness entry.
 * @returns {void}
 */
export function runGrpcHealthcheck({ port, service = '' }) {
  const client = new Health(`127.0.0.1:${port}`, credentials.createInsecure());
  const finish = (code, message) => {
    if (message) process.stderr.write(`healthcheck: ${message}\n`);
    client.close();
    process.exit(code);
  };
  // The call's deadline should end it; this backstop exits even if the channel never reports back.
  setTimeout(() => finish(1, `no answer within ${TIMEOUT_MS} ms`), TIMEOUT_MS + 200).unref();
  client.Check(service, { deadline: Date.now() + TIMEOUT_MS }, (error, response) => {
    if (error) finish(1, `${error.code}: ${error.details || error.message}`);
    else if (response.status !== SERVING) finish(1, `status ${response.status}, expected SERVING (1)`);
    else finish(0);
  });
}
