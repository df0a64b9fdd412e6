/** Reads an SSE response into its `data:` payloads, parsing across arbitrary network chunk boundaries. */
export async function readSse(response: Response): Promise<{ frames: string[]; comments: string[] }> {
  const frames: string[] = [];
  const comments: string[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) frames.push(line.slice(6));
        else if (line.startsWith(':')) comments.push(line);
      }
      boundary = buffer.indexOf('\n\n');
    }
  }
  return { frames, comments };
}
