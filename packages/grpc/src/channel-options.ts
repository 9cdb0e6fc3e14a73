import type { ChannelOptions } from '@grpc/grpc-js';
import { describeValue, InvalidArgumentError } from '@switchyard/core';

/** grpc-js channel options that take a string; the others it knows take a number. */
const STRING_CHANNEL_OPTIONS = new Set([
  'grpc.ssl_target_name_override',
  'grpc.primary_user_agent',
  'grpc.secondary_user_agent',
  'grpc.default_authority',
  'grpc.service_config',
  'grpc.lb_policy_name',
  'grpc.http_connect_target',
  'grpc.http_connect_creds',
]);

/** grpc-js's own channel options that take a number (its ChannelOptions type). */
const NUMBER_CHANNEL_OPTIONS = new Set([
  'grpc.keepalive_time_ms',
  'grpc.keepalive_timeout_ms',
  'grpc.keepalive_permit_without_calls',
  'grpc.max_concurrent_streams',
  'grpc.initial_reconnect_backoff_ms',
  'grpc.max_reconnect_backoff_ms',
  'grpc.use_local_subchannel_pool',
  'grpc.max_send_message_length',
  'grpc.max_receive_message_length',
  'grpc.enable_http_proxy',
  'grpc.default_compression_algorithm',
  'grpc.enable_channelz',
  'grpc.dns_min_time_between_resolutions_ms',
  'grpc.enable_retries',
  'grpc.per_rpc_retry_buffer_size',
  'grpc.retry_buffer_size',
  'grpc.max_connection_age_ms',
  'grpc.max_connection_age_grace_ms',
  'grpc.max_connection_idle_ms',
  'grpc-node.max_session_memory',
  'grpc.service_config_disable_resolution',
  'grpc.client_idle_timeout_ms',
  'grpc-node.tls_enable_trace',
  'grpc.lb.ring_hash.ring_size_cap',
  'grpc-node.retry_max_attempts_limit',
  'grpc-node.flow_control_window',
]);

/**
 * Channel arguments are strings or finite numbers; grpc-js's own take the type its ChannelOptions
 * says. grpc-js itself checks almost none of them: a wrong type failed later (on a call, or with an
 * unhandled rejection inside grpc-js) or was ignored without a word. `field` names the option bag.
 */
export function assertChannelOptionValues(field: string, channelOptions: ChannelOptions): void {
  for (const [key, value] of Object.entries(channelOptions)) {
    if (value === undefined) continue;
    const wantsString = STRING_CHANNEL_OPTIONS.has(key);
    const ok = wantsString
      ? typeof value === 'string'
      : typeof value === 'number'
        ? Number.isFinite(value)
        : typeof value === 'string' && !NUMBER_CHANNEL_OPTIONS.has(key);
    if (!ok) {
      throw new InvalidArgumentError(
        `${field}.${key}`,
        `must be ${wantsString ? 'a string' : NUMBER_CHANNEL_OPTIONS.has(key) ? 'a finite number' : 'a string or a finite number'}, got ${describeValue(value)}`,
      );
    }
  }
}
