// Original file: ../../protos/switchyard/echo/v1/echo.proto

export interface EchoRequest {
  message?: string;
  delayMs?: number;
  failWithCode?: number;
}

export interface EchoRequest__Output {
  message: string;
  delayMs: number;
  failWithCode: number;
}
