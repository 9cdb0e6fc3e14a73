import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type {
  SearchHit as _shop_search_v1_SearchHit,
  SearchHit__Output as _shop_search_v1_SearchHit__Output,
} from './shop/search/v1/SearchHit.js';
import type {
  SearchRequest as _shop_search_v1_SearchRequest,
  SearchRequest__Output as _shop_search_v1_SearchRequest__Output,
} from './shop/search/v1/SearchRequest.js';
import type {
  SearchResponse as _shop_search_v1_SearchResponse,
  SearchResponse__Output as _shop_search_v1_SearchResponse__Output,
} from './shop/search/v1/SearchResponse.js';
import type {
  SearchServiceClient as _shop_search_v1_SearchServiceClient,
  SearchServiceDefinition as _shop_search_v1_SearchServiceDefinition,
} from './shop/search/v1/SearchService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new (...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  shop: {
    search: {
      v1: {
        SearchHit: MessageTypeDefinition<_shop_search_v1_SearchHit, _shop_search_v1_SearchHit__Output>;
        SearchRequest: MessageTypeDefinition<_shop_search_v1_SearchRequest, _shop_search_v1_SearchRequest__Output>;
        SearchResponse: MessageTypeDefinition<_shop_search_v1_SearchResponse, _shop_search_v1_SearchResponse__Output>;
        SearchService: SubtypeConstructor<typeof grpc.Client, _shop_search_v1_SearchServiceClient> & {
          service: _shop_search_v1_SearchServiceDefinition;
        };
      };
    };
  };
}
