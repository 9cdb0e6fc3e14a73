// Original file: ../../protos/switchyard/echo/v1/echo.proto

export interface CountRequest {
  count?: number;
  intervalMs?: number;
}

export interface CountRequest__Output {
  count: number;
  intervalMs: number;
}
