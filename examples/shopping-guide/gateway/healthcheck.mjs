// Container health check (deploy/services.json "healthcheck"): asks this container's own HTTP
// server, GET http://127.0.0.1:${HTTP_PORT:-8080}/readyz, and exits 0 only for a 2xx answer.
// Gives up after 2 s. `node /app/healthcheck.mjs live` checks /healthz instead.
const TIMEOUT_MS = 2_000;
const port = process.env.HTTP_PORT || '8080';
const path = process.argv[2] === 'live' ? '/healthz' : '/readyz';

try {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.ok) process.exit(0);
  process.stderr.write(`healthcheck: ${path} answered ${response.status}\n`);
} catch (error) {
  process.stderr.write(`healthcheck: ${error.message}\n`);
}
process.exit(1);
