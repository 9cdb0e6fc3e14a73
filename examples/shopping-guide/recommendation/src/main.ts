/**
 * recommendation's entry point. Configuration comes from the environment: the SDK's variables
 * (SWITCHYARD_REGISTRY_URL, SWITCHYARD_ZONE, SWITCHYARD_DRAIN_DELAY_MS, OTEL_*…), GRPC_PORT,
 * SWITCHYARD_VERSION, SWITCHYARD_TRACK and RECOMMENDATION_STRATEGY (see README.md).
 */
import { runService } from '@switchyard/service';
import { startRecommendation } from './recommendation-service.js';

await runService(() => startRecommendation(), 'recommendation');
