import type { Writable } from 'node:stream';

/** The reader went away (a closed connection, a closed pipe): not an error of the export. */
export class ExportAbortedError extends Error {
  constructor() {
    super('the reader closed the connection before the end of the export');
  }
}

/**
 * Writes the chunks to out, waiting for 'drain' whenever its buffer is full, so a slow reader holds
 * the database reads back instead of filling memory; ends out after the last chunk. If the reader
 * closes first, stops asking for chunks (the batches stop) and throws ExportAbortedError.
 */
export async function writeChunks(out: Writable, chunks: AsyncIterable<Buffer>): Promise<void> {
  let closed = out.destroyed;
  let failure: Error | null = null;
  const onClose = () => (closed = true);
  // A closed pipe (EPIPE) is an error event: without a listener it would end the process.
  const onError = (error: Error) => {
    failure ??= error;
    closed = true;
  };
  out.once('close', onClose);
  out.on('error', onError);
  const stopIfClosed = () => {
    if (closed) throw failure ?? new ExportAbortedError();
  };
  try {
    for await (const chunk of chunks) {
      stopIfClosed();
      if (!out.write(chunk)) await drained(out);
    }
    stopIfClosed();
    await new Promise<void>((resolve, reject) => {
      out.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  } finally {
    out.off('close', onClose);
    out.off('error', onError);
  }
}

/** Resolves once out can take more, or has closed (the loop then sees it). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}
