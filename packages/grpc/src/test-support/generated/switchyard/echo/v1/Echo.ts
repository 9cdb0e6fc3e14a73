// Original file: ../../protos/switchyard/echo/v1/echo.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  CountRequest as _switchyard_echo_v1_CountRequest,
  CountRequest__Output as _switchyard_echo_v1_CountRequest__Output,
} from '../../../switchyard/echo/v1/CountRequest.js';
import type {
  EchoRequest as _switchyard_echo_v1_EchoRequest,
  EchoRequest__Output as _switchyard_echo_v1_EchoRequest__Output,
} from '../../../switchyard/echo/v1/EchoRequest.js';
import type {
  EchoResponse as _switchyard_echo_v1_EchoResponse,
  EchoResponse__Output as _switchyard_echo_v1_EchoResponse__Output,
} from '../../../switchyard/echo/v1/EchoResponse.js';

export interface EchoClient extends grpc.Client {
  Count(
    argument: _switchyard_echo_v1_CountRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_switchyard_echo_v1_EchoResponse__Output>;
  Count(
    argument: _switchyard_echo_v1_CountRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_switchyard_echo_v1_EchoResponse__Output>;
  count(
    argument: _switchyard_echo_v1_CountRequest,
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_switchyard_echo_v1_EchoResponse__Output>;
  count(
    argument: _switchyard_echo_v1_CountRequest,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<_switchyard_echo_v1_EchoResponse__Output>;

  Say(
    argument: _switchyard_echo_v1_EchoRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  Say(
    argument: _switchyard_echo_v1_EchoRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  Say(
    argument: _switchyard_echo_v1_EchoRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  Say(
    argument: _switchyard_echo_v1_EchoRequest,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  say(
    argument: _switchyard_echo_v1_EchoRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  say(
    argument: _switchyard_echo_v1_EchoRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  say(
    argument: _switchyard_echo_v1_EchoRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
  say(
    argument: _switchyard_echo_v1_EchoRequest,
    callback: grpc.requestCallback<_switchyard_echo_v1_EchoResponse__Output>,
  ): grpc.ClientUnaryCall;
}

export interface EchoHandlers extends grpc.UntypedServiceImplementation {
  Count: grpc.handleServerStreamingCall<_switchyard_echo_v1_CountRequest__Output, _switchyard_echo_v1_EchoResponse>;

  Say: grpc.handleUnaryCall<_switchyard_echo_v1_EchoRequest__Output, _switchyard_echo_v1_EchoResponse>;
}

export interface EchoDefinition extends grpc.ServiceDefinition {
  Count: MethodDefinition<
    _switchyard_echo_v1_CountRequest,
    _switchyard_echo_v1_EchoResponse,
    _switchyard_echo_v1_CountRequest__Output,
    _switchyard_echo_v1_EchoResponse__Output
  >;
  Say: MethodDefinition<
    _switchyard_echo_v1_EchoRequest,
    _switchyard_echo_v1_EchoResponse,
    _switchyard_echo_v1_EchoRequest__Output,
    _switchyard_echo_v1_EchoResponse__Output
  >;
}
