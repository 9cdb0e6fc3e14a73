import { codeInWords, type ErrorResponseFields, errorBodyMessage, type SwitchyardError } from '@switchyard/core';

/**
 * For @switchyard/http's HttpCallError (recognised by its fields: that package is not a dependency
 * of this one), what the downstream said (see errorBodyMessage in @switchyard/core, the rules
 * @switchyard/http's server follows too), or the code in words (`not found`) when its body says
 * nothing usable (empty, cut at the client's limit, an HTML page). Never the error's message,
 * `<service> <METHOD> <path>: HTTP <status> <CODE>: <body>`, which names internal services and
 * paths. Undefined for other errors.
 */
export function relayedHttpDetail(error: SwitchyardError): string | undefined {
  if (!isHttpCallError(error)) return undefined;
  return errorBodyMessage(error) ?? codeInWords(error);
}

function isHttpCallError(error: SwitchyardError): error is SwitchyardError & ErrorResponseFields & { status: number } {
  const fields = error as unknown as Partial<ErrorResponseFields & { status: number }>;
  return (
    typeof fields.status === 'number' &&
    typeof fields.body === 'string' &&
    typeof fields.headers === 'object' &&
    fields.headers !== null
  );
}
