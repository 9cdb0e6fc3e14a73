// Original file: ../../../protos/shop/recommendation/v1/recommendation.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  RecommendRequest as _shop_recommendation_v1_RecommendRequest,
  RecommendRequest__Output as _shop_recommendation_v1_RecommendRequest__Output,
} from '../../../shop/recommendation/v1/RecommendRequest.js';
import type {
  RecommendResponse as _shop_recommendation_v1_RecommendResponse,
  RecommendResponse__Output as _shop_recommendation_v1_RecommendResponse__Output,
} from '../../../shop/recommendation/v1/RecommendResponse.js';
import type {
  RecordViewRequest as _shop_recommendation_v1_RecordViewRequest,
  RecordViewRequest__Output as _shop_recommendation_v1_RecordViewRequest__Output,
} from '../../../shop/recommendation/v1/RecordViewRequest.js';
import type {
  RecordViewResponse as _shop_recommendation_v1_RecordViewResponse,
  RecordViewResponse__Output as _shop_recommendation_v1_RecordViewResponse__Output,
} from '../../../shop/recommendation/v1/RecordViewResponse.js';

export interface RecommendationServiceClient extends grpc.Client {
  Recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  Recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  Recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  Recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;
  recommend(
    argument: _shop_recommendation_v1_RecommendRequest,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecommendResponse__Output>,
  ): grpc.ClientUnaryCall;

  /**
   * Not idempotent: each call counts a view (a retry after a reset mid-call would count it twice).
   */
  RecordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  RecordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  RecordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  RecordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  /**
   * Not idempotent: each call counts a view (a retry after a reset mid-call would count it twice).
   */
  recordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  recordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  recordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
  recordView(
    argument: _shop_recommendation_v1_RecordViewRequest,
    callback: grpc.requestCallback<_shop_recommendation_v1_RecordViewResponse__Output>,
  ): grpc.ClientUnaryCall;
}

export interface RecommendationServiceHandlers extends grpc.UntypedServiceImplementation {
  Recommend: grpc.handleUnaryCall<
    _shop_recommendation_v1_RecommendRequest__Output,
    _shop_recommendation_v1_RecommendResponse
  >;

  /**
   * Not idempotent: each call counts a view (a retry after a reset mid-call would count it twice).
   */
  RecordView: grpc.handleUnaryCall<
    _shop_recommendation_v1_RecordViewRequest__Output,
    _shop_recommendation_v1_RecordViewResponse
  >;
}

export interface RecommendationServiceDefinition extends grpc.ServiceDefinition {
  Recommend: MethodDefinition<
    _shop_recommendation_v1_RecommendRequest,
    _shop_recommendation_v1_RecommendResponse,
    _shop_recommendation_v1_RecommendRequest__Output,
    _shop_recommendation_v1_RecommendResponse__Output
  >;
  RecordView: MethodDefinition<
    _shop_recommendation_v1_RecordViewRequest,
    _shop_recommendation_v1_RecordViewResponse,
    _shop_recommendation_v1_RecordViewRequest__Output,
    _shop_recommendation_v1_RecordViewResponse__Output
  >;
}
