import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { allProjects } from './vitest.shared';

export default defineConfig({
  test: {
    projects: [
      ...allProjects(),
      // The `pnpm demo` runner's pass/fail verdict (scripts/demo is no package, so not in allProjects).
      {
        test: {
          name: 'demo:unit',
          root: fileURLToPath(new URL('./scripts/demo', import.meta.url)),
          include: ['*.test.ts'],
        },
      },
    ],
    // Integration projects start their own Redis; keep the whole run to one worker file at a time
    // per project and let the two cores share unit and integration work.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
