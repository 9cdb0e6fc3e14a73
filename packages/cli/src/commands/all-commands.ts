import type { Command } from '../command.js';
import { callCommand } from './call.js';
import { canaryCommand } from './canary.js';
import { dashboardCommand } from './dashboard.js';
import { deregisterCommand } from './deregister.js';
import { healthCommand } from './health.js';
import { lsCommand } from './ls.js';
import { routeCommand } from './route.js';
import { watchCommand } from './watch.js';

/** Every sub-command, in the order help lists them. */
export const COMMANDS: readonly Command[] = Object.freeze([
  lsCommand,
  watchCommand,
  healthCommand,
  callCommand,
  deregisterCommand,
  routeCommand,
  canaryCommand,
  dashboardCommand,
]);
