// Original file: ../../../protos/shop/search/v1/search.proto

import type * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import type {
  SearchRequest as _shop_search_v1_SearchRequest,
  SearchRequest__Output as _shop_search_v1_SearchRequest__Output,
} from '../../../shop/search/v1/SearchRequest.js';
import type {
  SearchResponse as _shop_search_v1_SearchResponse,
  SearchResponse__Output as _shop_search_v1_SearchResponse__Output,
} from '../../../shop/search/v1/SearchResponse.js';

export interface SearchServiceClient extends grpc.Client {
  Search(
    argument: _shop_search_v1_SearchRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  Search(
    argument: _shop_search_v1_SearchRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  Search(
    argument: _shop_search_v1_SearchRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  Search(
    argument: _shop_search_v1_SearchRequest,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  search(
    argument: _shop_search_v1_SearchRequest,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  search(
    argument: _shop_search_v1_SearchRequest,
    metadata: grpc.Metadata,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  search(
    argument: _shop_search_v1_SearchRequest,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
  search(
    argument: _shop_search_v1_SearchRequest,
    callback: grpc.requestCallback<_shop_search_v1_SearchResponse__Output>,
  ): grpc.ClientUnaryCall;
}

export interface SearchServiceHandlers extends grpc.UntypedServiceImplementation {
  Search: grpc.handleUnaryCall<_shop_search_v1_SearchRequest__Output, _shop_search_v1_SearchResponse>;
}

export interface SearchServiceDefinition extends grpc.ServiceDefinition {
  Search: MethodDefinition<
    _shop_search_v1_SearchRequest,
    _shop_search_v1_SearchResponse,
    _shop_search_v1_SearchRequest__Output,
    _shop_search_v1_SearchResponse__Output
  >;
}
