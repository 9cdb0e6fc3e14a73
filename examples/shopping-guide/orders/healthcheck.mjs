// Container health check (deploy/services.json "healthcheck"): asks this container's own gRPC
// server, grpc.health.v1.Health/Check on 127.0.0.1:${GRPC_PORT:-50051}, and exits 0 only for
// SERVING. `node /app/healthcheck.mjs [service]` (default service "": the whole server, i.e.
// readiness; "liveness" for the liveness entry).
// The image contract puts the script at /app/healthcheck.mjs, so this file stays; the check itself
// is the same for every gRPC service and lives in @shopping-guide/shared (plain JS, no loader).
import { runGrpcHealthcheck } from '@shopping-guide/shared/grpc-healthcheck';

runGrpcHealthcheck({ port: process.env.GRPC_PORT || '50051', service: process.argv[2] ?? '' });
