import busboy from 'busboy';
import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { type InvalidField, NotFoundError, RateLimitedError } from '../errors';
import { authenticateApi, callerOf, requireCaller } from '../http/api-auth';
import { type HttpErrorBody, httpErrorHandler } from '../http/http-errors';
import { leaveLine } from '../http/load-shedding';
import type { Services } from '../services';
import type { User } from '../users/user.entity';
import { cleanFilename, downloadHeadersOf } from './attachment-content';
import type { Attachment } from './attachment.entity';
import { attachmentServiceOf } from './attachment.service';

/** A refusal of the upload itself (size, shape) with its own HTTP status, in the API's error shape. */
class UploadRefusal extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly field: InvalidField,
  ) {
    super(field.message);
  }
}

const MEGABYTE = 1024 * 1024;
/** Uploads one user may be sending at once (the client sends 2, so two tabs fit): read outside the line, in memory. */
export const UPLOADS_AT_ONCE_PER_USER = 4;
/** After a refusal the rest of the body is read and dropped (so the client reads the answer), up to this. */
const DRAIN_MAX_BYTES = 16 * MEGABYTE;

const onePart = (message: string) => new UploadRefusal(400, { field: 'file', rule: 'invalid', message });

/**
 * Reads the one part of a multipart/form-data body, a file field named "file", into memory, never more
 * than maxBytes of it: past them the upload is refused (413) and the rest is read and dropped.
 */
function readUpload(
  req: Request,
  maxBytes: number,
  maxMb: number,
): Promise<{ filename: string; content: Buffer }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'multipart/form-data') {
    return Promise.reject(
      new UploadRefusal(415, {
        field: 'Content-Type',
        rule: 'format',
        message: 'Send the file as multipart/form-data, in a field named "file".',
      }),
    );
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // busboy signals reaching its limit, not passing it: one byte more tells a file of exactly maxBytes apart.
        limits: { fileSize: maxBytes + 1, files: 1, fields: 0 },
      });
    } catch {
      reject(onePart('The multipart body has no boundary: send it as a browser or curl -F does.'));
      return;
    }
    let refusal: UploadRefusal | null = null;
    let file: { filename: string; chunks: Buffer[] } | null = null;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    const refuse = (error: UploadRefusal) => {
      if (refusal) return;
      refusal = error;
      file = null;
      // The rest is read and dropped, then the answer is sent; a client that keeps sending is cut off.
      req.unpipe(parser);
      let drained = 0;
      req.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > DRAIN_MAX_BYTES) req.destroy();
      });
      req.resume();
      const done = () => settle(() => reject(error));
      if (req.readableEnded) done();
      else {
        req.once('end', done);
        req.once('close', done);
      }
    };
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        refuse(onePart(`The file must be sent in a field named "file" (got "${name.slice(0, 50)}").`));
        return;
      }
      const current = { filename: cleanFilename(info.filename), chunks: [] as Buffer[] };
      file = current;
      stream.on('data', (chunk: Buffer) => {
        if (!refusal) current.chunks.push(chunk);
      });
      stream.on('limit', () =>
        refuse(
          new UploadRefusal(413, {
            field: 'file',
            rule: 'length',
            message: `The file is larger than ${maxMb} MB, the most this instance accepts (ATTACHMENT_MAX_MB).`,
          }),
        ),
      );
    });
    const moreThanOne = () => refuse(onePart('Send exactly one part: the file, in a field named "file".'));
    parser.on('field', moreThanOne);
    parser.on('filesLimit', moreThanOne);
    parser.on('fieldsLimit', moreThanOne);
    parser.on('error', () =>
      refuse(onePart('The multipart body could not be read (cut off or malformed): nothing was stored.')),
    );
    parser.on('close', () => {
      if (refusal) return;
      const received = file as { filename: string; chunks: Buffer[] } | null;
      const content = received ? Buffer.concat(received.chunks) : null;
      if (!received || !content || content.length === 0) {
        refuse(
          new UploadRefusal(400, {
            field: 'file',
            rule: 'required',
            message: 'No file was sent: send one, not empty, in a field named "file".',
          }),
        );
        return;
      }
      settle(() => resolve({ filename: received.filename, content }));
    });
    req.on('aborted', () => settle(() => reject(onePart('The upload was cut off: nothing was stored.'))));
    req.pipe(parser);
  });
}

/** `new` (a ticket being written) or a ticket id; anything else is a ticket that does not exist. */
function ticketIdOf(raw: string): number | null {
  if (raw === 'new') return null;
  if (/^[1-9]\d{0,9}$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  throw new NotFoundError('Ticket', raw.slice(0, 50));
}

function attachmentIdOf(raw: string): number {
  if (/^[1-9]\d{0,9}$/.test(raw)) return Number(raw);
  throw new NotFoundError('Attachment', raw.slice(0, 50));
}

/** The Attachment as the GraphQL type names its fields, the author as its id and username. */
function attachmentJson(attachment: Attachment, author: User) {
  return {
    id: String(attachment.id),
    filename: attachment.filename,
    contentType: attachment.contentType,
    size: attachment.size,
    url: attachment.url,
    isImage: attachment.isImage,
    author: { id: String(author.id), username: author.username },
    createdAt: attachment.createdAt.toISOString(),
  };
}

const uploadRefusals: ErrorRequestHandler = (error, _req, res, next) => {
  if (!(error instanceof UploadRefusal) || res.headersSent) return next(error);
  const body: HttpErrorBody = {
    error: { code: 'BAD_USER_INPUT', message: error.message, invalidFields: [error.field] },
  };
  res.status(error.status).json(body);
};

/**
 * Files on tickets, beside /graphql and with its authentication (mounted at /api):
 * - `POST /api/tickets/{id}/attachments` (or `/api/tickets/new/attachments` before createTicket): one
 *   multipart file field "file", at most ATTACHMENT_MAX_MB; answers 201 and the Attachment as JSON. It
 *   stays unlinked, seen by its uploader only, until createTicket or updateTicket names it in attachmentIds.
 * - `GET /api/attachments/{id}`: the file, with the rights of its ticket and job.
 */
export function attachmentRoutes(
  services: Pick<Services, 'authenticators' | 'tokenBudget' | 'database' | 'clock'>,
  config: Pick<Config, 'attachmentMaxMb'>,
  logger: Pick<Logger, 'error'>,
): Router {
  const attachments = attachmentServiceOf(services.database, services.clock);
  const authenticated = authenticateApi(services);
  const router = express.Router();
  const uploadsInProgress = new Map<number, number>();
  router.post(
    '/tickets/:ticketId/attachments',
    authenticated,
    requireCaller(services, { write: true, cost: 10 }),
    async (req, res) => {
      const actor = callerOf(res).principal!.user;
      const ticketId = ticketIdOf(req.params.ticketId as string);
      // Someone else's ticket is refused before a byte of the file is read.
      await attachments.assertCanUploadTo(actor, ticketId);
      const sending = uploadsInProgress.get(actor.id) ?? 0;
      if (sending >= UPLOADS_AT_ONCE_PER_USER) {
        throw new RateLimitedError(
          `At most ${UPLOADS_AT_ONCE_PER_USER} files may be sent at once: wait for one to finish.`,
          1,
        );
      }
      uploadsInProgress.set(actor.id, sending + 1);
      let file: { filename: string; content: Buffer };
      try {
        // A client that stalls mid-file holds its socket and these places, not one where requests run.
        leaveLine(req);
        file = await readUpload(req, config.attachmentMaxMb * MEGABYTE, config.attachmentMaxMb);
      } finally {
        const left = (uploadsInProgress.get(actor.id) ?? 1) - 1;
        if (left > 0) uploadsInProgress.set(actor.id, left);
        else uploadsInProgress.delete(actor.id);
      }
      const attachment = await attachments.upload(actor, ticketId, file);
      res.status(201).json(attachmentJson(attachment, actor));
    },
  );
  router.get(
    '/attachments/:attachmentId',
    authenticated,
    requireCaller(services, { cost: 1 }),
    async (req, res) => {
      const viewer = callerOf(res).principal!.user;
      const { attachment, content } = await attachments.read(
        viewer,
        attachmentIdOf(req.params.attachmentId as string),
      );
      res.set(downloadHeadersOf(attachment));
      res.end(content);
    },
  );
  router.use(uploadRefusals);
  router.use(httpErrorHandler(logger));
  return router;
}
