/**
 * @switchyard/cli: the `switchyard` command and its live dashboard.
 *
 * Stance: an operator tool tells the truth in one glance and one line. Tables for people, JSON for
 * scripts, exit codes a shell can branch on (0 ok, 1 failure, 2 usage), and every failure is a
 * single sentence on stderr, never a stack trace. Everything is read from the registry the services
 * use, by service name, through the same discovery and call policy the services use, so what the
 * CLI sees is what a client sees. Registry data is untrusted: it is escaped for terminals and never
 * rendered as HTML.
 *
 * @packageDocumentation
 */

// Command line
export { runCli, CLI_VERSION, OUTPUT_CLOSED } from './run-cli.js';
export type { RunCliOptions } from './run-cli.js';
export type { CliIo } from './io.js';
export { ExitCode, CliError, UsageError } from './cli-error.js';

// Dashboard
export { startDashboard, DEFAULT_DASHBOARD_OPTIONS } from './dashboard/dashboard-server.js';
export type { Dashboard, DashboardOptions } from './dashboard/dashboard-server.js';
export type { ServiceView, InstanceJson } from './dashboard/service-hub.js';

// Registry inspection (read-only)
export { LeaseInspector } from './registry/lease-inspector.js';
export type { LeaseInfo, LeaseInfos } from './registry/lease-inspector.js';
