import { resetApiClient } from './api.svelte';
import { t } from './i18n/index.svelte';
import { onSessionExpired } from './session.svelte';

/** What POST /api/tickets/{id}/attachments answers (the fields of the GraphQL type Attachment). */
export interface UploadedAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  url: string;
  isImage: boolean;
}

/** The most files one ticket or comment may carry (the service's ATTACHMENT_MAX_PER_JOB). */
export const MAX_FILES_PER_JOB = 10;

export type UploadProblem =
  | 'tooLarge'
  | 'typeNotAllowed'
  | 'empty'
  | 'tooMany'
  | 'notFound'
  | 'network'
  | 'unauthenticated'
  | 'forbidden'
  | 'rateLimited'
  | 'unknown';

export interface UploadError {
  problem: UploadProblem;
  /** tooLarge: the limit of this instance, in megabytes, when the service said it. */
  maxMb?: number;
  /** rateLimited: how long to wait. */
  retryAfterSeconds?: number;
}

export type UploadResult = { ok: true; attachment: UploadedAttachment } | { ok: false; error: UploadError };

interface InvalidField {
  field: string;
  rule: string;
  message: string;
}

/** The plain routes' error body (server/src/http/http-errors.ts): `{ error: { code, message, invalidFields } }`. */
interface ErrorBody {
  error?: { code?: string; message?: string; invalidFields?: InvalidField[]; retryAfterSeconds?: number };
}

function problemOf(status: number, body: ErrorBody | null): UploadError {
  const error = body?.error;
  const invalid = error?.invalidFields?.[0];
  if (status === 413 || invalid?.rule === 'length') {
    // The limit is a setting of the instance (ATTACHMENT_MAX_MB), told only in the refusal.
    const mb = /(\d+)\s*MB/.exec(invalid?.message ?? error?.message ?? '')?.[1];
    return { problem: 'tooLarge', ...(mb ? { maxMb: Number(mb) } : {}) };
  }
  if (status === 415) return { problem: 'typeNotAllowed' };
  if (status === 404) return { problem: 'notFound' };
  if (status === 401) return { problem: 'unauthenticated' };
  if (status === 403) return { problem: 'forbidden' };
  if (status === 429) {
    return { problem: 'rateLimited', retryAfterSeconds: Number(error?.retryAfterSeconds ?? 60) };
  }
  if (invalid?.rule === 'required') return { problem: 'empty' };
  if (invalid?.rule === 'limitReached') return { problem: 'tooMany' };
  return { problem: 'unknown' };
}

/** Files on their way at once; the others wait their turn (the service refuses more than 4 at once). */
const UPLOADS_AT_ONCE = 2;
let uploadsSending = 0;
const uploadsWaiting: (() => void)[] = [];

/** Waits for a turn to send; a file removed while it waits leaves the line (the signal's reason is thrown). */
function takeTurn(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  if (uploadsSending < UPLOADS_AT_ONCE) {
    uploadsSending += 1;
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const start = () => {
      signal?.removeEventListener('abort', cancel);
      uploadsSending += 1;
      resolve();
    };
    const cancel = () => {
      const index = uploadsWaiting.indexOf(start);
      if (index >= 0) uploadsWaiting.splice(index, 1);
      reject(signal!.reason);
    };
    uploadsWaiting.push(start);
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

function endTurn(): void {
  uploadsSending -= 1;
  uploadsWaiting.shift()?.();
}

/**
 * Sends one file to a ticket (`'new'` before it exists) with the session cookie. The file stays unlinked,
 * seen by its uploader only, until createTicket or updateTicket names its id in attachmentIds.
 */
export async function uploadAttachment(
  ticketId: string,
  file: File,
  signal?: AbortSignal,
): Promise<UploadResult> {
  const body = new FormData();
  body.append('file', file, file.name);
  let response: Response;
  await takeTurn(signal);
  try {
    response = await fetch(`/api/tickets/${encodeURIComponent(ticketId)}/attachments`, {
      method: 'POST',
      body,
      credentials: 'same-origin',
      // A multipart body with the cookie needs this header: the service's CSRF lock (http/api-auth.ts).
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ok: false, error: { problem: 'network' } };
  } finally {
    endTurn();
  }
  if (response.status === 201) {
    return { ok: true, attachment: (await response.json()) as UploadedAttachment };
  }
  const answer = (await response.json().catch(() => null)) as ErrorBody | null;
  const error = problemOf(response.status, answer);
  if (error.problem === 'unauthenticated') {
    // As the GraphQL client does: nothing of this session stays, and the login page comes back.
    resetApiClient();
    onSessionExpired();
  }
  return { ok: false, error };
}

/** A refusal in the user's language (read when shown, so it follows a change of language). */
export function uploadErrorText(error: UploadError): string {
  switch (error.problem) {
    case 'tooLarge':
      return error.maxMb
        ? t('attachments.error.tooLarge', { mb: error.maxMb })
        : t('attachments.error.tooLargeNoLimit');
    case 'typeNotAllowed':
      return t('attachments.error.type');
    case 'empty':
      return t('attachments.error.empty');
    case 'tooMany':
      return t('attachments.error.tooMany', { max: MAX_FILES_PER_JOB });
    case 'notFound':
      return t('attachments.error.notFound');
    case 'network':
      return t('error.network');
    case 'unauthenticated':
      return t('error.UNAUTHENTICATED');
    case 'forbidden':
      return t('error.FORBIDDEN');
    case 'rateLimited':
      return t('error.RATE_LIMITED', { seconds: error.retryAfterSeconds ?? 60 });
    default:
      return t('error.unknown');
  }
}

const IMAGE_EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * A pasted image under a name that says what it is and when: `screenshot-2026-11-27-0142.png`.
 * Browsers call every clipboard image "image.png"; a file copied from a folder keeps its own name.
 */
export function pastedFileName(file: File, now = new Date()): string {
  if (file.name && !/^image\.\w+$/i.test(file.name)) return file.name;
  const extension = IMAGE_EXTENSIONS[file.type] ?? file.name.split('.').pop() ?? 'png';
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `screenshot-${date}-${pad(now.getHours())}${pad(now.getMinutes())}.${extension}`;
}

export { formatFileSize } from './file-size';
