/**
 * Reads a response body as UTF-8 text, refusing more than `maxBytes`: by the declared
 * `content-length` before reading, else as soon as the bytes read pass the limit (the stream is
 * cancelled), so a hostile or broken server cannot make us buffer an unbounded body.
 *
 * @param response - the fetch response.
 * @param maxBytes - the largest body accepted, in bytes.
 * @param what - what the body is, for the message (e.g. `JWKS response`).
 * @returns the body text (`''` without a body).
 * @throws Error `<what> is larger than <maxBytes> bytes`.
 */
export async function readBoundedBody(
  response: Response,
  maxBytes: number,
  what: string,
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new Error(`${what} is larger than ${maxBytes} bytes`);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(`${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
