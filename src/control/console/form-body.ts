/** Reading a posted HTML form (application/x-www-form-urlencoded), bounded. */
import type { IncomingMessage } from 'node:http';
import { VigiaError } from '../../core/errors.js';

/**
 * The urlencoded body of `req`, at most `limit` bytes (a larger declared or actual body is 413 as
 * soon as it is known); an empty body is an empty form; another content type is 415.
 */
export async function readFormBody(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && !/^\d+$/.test(declared)) throw new VigiaError('VIGIA_ERR_BAD_REQUEST', 'invalid Content-Length');
  if (declared !== undefined && Number(declared) > limit) throw new VigiaError('VIGIA_ERR_BODY_TOO_LARGE');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new VigiaError('VIGIA_ERR_BODY_TOO_LARGE');
    chunks.push(chunk);
  }
  if (size === 0) return new URLSearchParams();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new VigiaError('VIGIA_ERR_UNSUPPORTED_MEDIA_TYPE', 'a console form must be application/x-www-form-urlencoded');
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
