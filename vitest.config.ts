import { defineConfig } from 'vitest/config';
import { allProjects } from './vitest.shared';

export default defineConfig({
  test: {
    projects: allProjects(),
    // Integration projects start their own Redis; keep the whole run to one worker file at a time
    // per project and let the two cores share unit and integration work.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
