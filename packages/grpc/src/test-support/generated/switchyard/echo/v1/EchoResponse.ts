// Original file: ../../protos/switchyard/echo/v1/echo.proto

export interface EchoResponse {
  message?: string;
  servedBy?: string;
  remainingMs?: number;
  traceId?: string;
}

export interface EchoResponse__Output {
  message: string;
  servedBy: string;
  remainingMs: number;
  traceId: string;
}
