import { libraryConfig } from '../../tsup.library.ts';

// Two entries: the policies, and @switchyard/resilience/testing (policies for testing transports).
export default libraryConfig(new URL('./package.json', import.meta.url), ['src/index.ts', 'src/testing.ts']);
