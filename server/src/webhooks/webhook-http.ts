import http from 'node:http';
import https from 'node:https';
import { SendFailed } from '../outbox/channel-sender';
import { safeErrorText } from '../outbox/error-text';
import { BlockedAddress, guardedLookup } from './address-guard';
import { checkWebhookUrl } from './webhook-url';

/** A slow receiver fails its try after this, connection and answer together. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The receiver's answer is read this far at most (for lastError), then the connection is closed. */
export const MAX_ANSWER_BYTES = 4096;
export const WEBHOOK_USER_AGENT = 'SimpleTicketing-Webhook/1';

export interface WebhookPostOptions {
  allowHosts: readonly string[];
  timeoutMs?: number;
}

/** How the receiver answered; a try is a success only with a 2xx status. */
interface Answer {
  status: number;
  text: string;
}

/**
 * POSTs one signed body, guarded against SSRF: the URL is checked again (the allow-list may have
 * changed), every resolved address is checked at connection time, redirects are not followed, the answer
 * is read 4 kB at most, and the whole exchange ends after 10 s. Resolves with the 2xx status; anything
 * else rejects with SendFailed (with the status when there was one).
 */
export async function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: WebhookPostOptions,
): Promise<number> {
  const checked = checkWebhookUrl(rawUrl, options.allowHosts);
  if (checked.problem) throw new SendFailed(`Refused: ${checked.problem.message}`, null);
  let answer: Answer;
  try {
    answer = await exchange(checked.url, body, headers, options);
  } catch (error) {
    if (error instanceof BlockedAddress) throw new SendFailed(error.message, null);
    throw new SendFailed(safeErrorText(error), null);
  }
  const { status, text } = answer;
  if (status >= 200 && status < 300) return status;
  if (status >= 300 && status < 400) {
    throw new SendFailed(`Answered ${status}: redirects are not followed; register the final URL`, status);
  }
  const said = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  throw new SendFailed(`Answered ${status}${said ? `: ${said}` : ''}`, status);
}

class NoAnswerInTime extends Error {}

function exchange(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: WebhookPostOptions,
): Promise<Answer> {
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Answer>((resolve, reject) => {
    let status: number | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    // Once the status is known, the try's outcome is; a body cut short (4 kB, the timeout) changes nothing.
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      if (status !== undefined) {
        resolve({ status, text: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8') });
      } else reject(error);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowHosts),
        // A connection of its own each time: the address is checked again, none is reused.
        agent: false,
      },
      (response) => {
        status = response.statusCode ?? 0;
        response.on('data', (chunk: Buffer) => {
          if (received < MAX_ANSWER_BYTES) chunks.push(chunk);
          received += chunk.length;
          if (received >= MAX_ANSWER_BYTES) settle();
        });
        response.on('end', () => settle());
        response.on('error', settle);
        response.on('close', () => settle());
      },
    );
    const timer = setTimeout(
      () => settle(new NoAnswerInTime(`No answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    timer.unref();
    request.on('error', settle);
    request.end(body);
  });
}
