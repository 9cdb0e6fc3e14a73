/** The gateway's entry point: configuration comes from the environment (see deploy/services.json). */
import { runService } from '@switchyard/service';
import { startGateway } from './gateway.js';

await runService(() => startGateway(), 'gateway');
