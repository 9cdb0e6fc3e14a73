/**
 * The chaos suite (`pnpm test:chaos`): eight scenarios, each under continuous bounded load on
 * loopback, each printing a one-line JSON summary and asserting its guarantees. See README.md.
 *
 * One test file on purpose: vitest runs a project's test files in parallel (two workers here),
 * and the scenarios measure timing on a 2-core machine, so they must run one after another.
 * Run one of them with `pnpm test:chaos -t 'chaos 3'`.
 */
import { scenarioRedisReset } from './harness/scenario-redis-reset.js';
import { allBackendsDown } from './scenarios/all-backends-down.js';
import { frozenInstance } from './scenarios/frozen-instance.js';
import { redisOutage } from './scenarios/redis-outage.js';
import { redisRestart } from './scenarios/redis-restart.js';
import { replicaSigkill } from './scenarios/replica-sigkill.js';
import { rollingRestart } from './scenarios/rolling-restart.js';
import { sentinelFailover } from './scenarios/sentinel-failover.js';
import { slowInstance } from './scenarios/slow-instance.js';

scenarioRedisReset(); // the shared set-up: a test that leaves Redis down does not break the next
replicaSigkill(); // 1. SIGKILL one of three replicas
redisRestart(); // 2. Redis killed and restarted mid-load
redisOutage(); // 3. Redis unreachable for 30 s (killed), and hung for 10 s
sentinelFailover(); // 4. Sentinel failover
allBackendsDown(); // 5. every backend down: breaker, retry budget, fast errors, recovery
rollingRestart(); // 6. rolling restart of every shopping-guide service (issue #7's acceptance)
slowInstance(); // 7. a slow instance under p2c-ewma
frozenInstance(); // 8. a frozen instance (SIGSTOP): connections open, nothing answers
