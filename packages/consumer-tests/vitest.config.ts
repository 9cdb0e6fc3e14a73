import { defineConfig } from 'vitest/config';
import { packageProjects } from '../../vitest.shared';

export default defineConfig({ test: { projects: packageProjects('packages/consumer-tests') } });
