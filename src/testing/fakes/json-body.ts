import type { IncomingMessage } from 'node:http';

/** A request's body as JSON; `notJson()` makes the fake's own error for a body that is not. */
export async function jsonBody(req: IncomingMessage, notJson: () => Error): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw notJson();
  }
}
