// Original file: ../../../protos/shop/recommendation/v1/recommendation.proto

export interface RecordViewResponse {}

export interface RecordViewResponse__Output {}
