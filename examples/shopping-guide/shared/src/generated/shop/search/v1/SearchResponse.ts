// Original file: ../../../protos/shop/search/v1/search.proto

import type {
  SearchHit as _shop_search_v1_SearchHit,
  SearchHit__Output as _shop_search_v1_SearchHit__Output,
} from '../../../shop/search/v1/SearchHit.js';

export interface SearchResponse {
  hits?: _shop_search_v1_SearchHit[];
}

export interface SearchResponse__Output {
  hits: _shop_search_v1_SearchHit__Output[];
}
