// Original file: ../../../protos/shop/recommendation/v1/recommendation.proto

export type RecordViewResponse = {};

export type RecordViewResponse__Output = {};
