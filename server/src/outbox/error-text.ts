const MAX_ERROR_LENGTH = 300;

/**
 * What an admin sees of a failed try (a message's lastError): the error's code and message on one line,
 * without the credentials of any URL nor the given secrets (an SMTP AUTH failure may quote them), cut
 * short. The raw error (an SMTP command, a response) is never kept.
 */
export function safeErrorText(error: unknown, secrets: readonly string[] = []): string {
  const { code, responseCode, message } = (error ?? {}) as {
    code?: string;
    responseCode?: number;
    message?: string;
  };
  let text = String(message ?? error)
    .replace(/\s+/g, ' ')
    .trim();
  text = text.replace(/(\w+:\/\/)[^\s/@]+@/g, '$1');
  for (const secret of secrets) text = text.split(secret).join('***');
  const prefix = [code, responseCode].filter(Boolean).join(' ');
  const full = (prefix && !text.startsWith(String(code)) ? `${prefix}: ${text}` : text) || 'Unknown error';
  return full.length > MAX_ERROR_LENGTH ? `${full.slice(0, MAX_ERROR_LENGTH - 1)}…` : full;
}
