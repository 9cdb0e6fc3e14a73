import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { DEFAULT_PROTO_OPTIONS } from '../definitions.js';

/**
 * `option idempotency_level = NO_SIDE_EFFECTS;`: the health methods only read, so a Switchyard
 * client retries (and may hedge) them after any UNAVAILABLE, as it does for every method marked so.
 * Not in grpc-proto's health.proto, and nothing on the wire: `options` is what reflection describes,
 * `parsedOptions` what proto-loader puts on each method definition.
 */
const READ = {
  options: { idempotency_level: 'NO_SIDE_EFFECTS' },
  parsedOptions: [{ idempotency_level: 'NO_SIDE_EFFECTS' }],
};

/**
 * grpc.health.v1 (the standard Health Checking Protocol), embedded as a descriptor so the package
 * needs no .proto file at run time. Same messages and paths as grpc/grpc-proto's health.proto.
 */
const HEALTH_DESCRIPTOR = {
  nested: {
    grpc: {
      nested: {
        health: {
          nested: {
            v1: {
              nested: {
                HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
                HealthCheckResponse: {
                  fields: { status: { type: 'ServingStatus', id: 1 } },
                  nested: { ServingStatus: { values: { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } } },
                },
                HealthListRequest: { fields: {} },
                HealthListResponse: { fields: { statuses: { keyType: 'string', type: 'HealthCheckResponse', id: 1 } } },
                Health: {
                  methods: {
                    Check: { requestType: 'HealthCheckRequest', responseType: 'HealthCheckResponse', ...READ },
                    List: { requestType: 'HealthListRequest', responseType: 'HealthListResponse', ...READ },
                    Watch: {
                      requestType: 'HealthCheckRequest',
                      responseType: 'HealthCheckResponse',
                      responseStream: true,
                      ...READ,
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** The statuses grpc.health.v1 defines; any other would be dropped on the wire and read as UNKNOWN. */
export const SERVING_STATUSES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
/** The standard health serving states (grpc.health.v1's `ServingStatus`, by name). */
export type ServingStatus = (typeof SERVING_STATUSES)[number];

let definition: ServiceDefinition | undefined;

/** The grpc.health.v1.Health service definition. */
export function healthServiceDefinition(): ServiceDefinition {
  if (!definition) {
    const loaded = loadPackageDefinition(
      fromJSON(HEALTH_DESCRIPTOR as Parameters<typeof fromJSON>[0], DEFAULT_PROTO_OPTIONS),
    ) as unknown as {
      grpc: { health: { v1: { Health: { service: ServiceDefinition } } } };
    };
    definition = loaded.grpc.health.v1.Health.service;
  }
  return definition;
}
