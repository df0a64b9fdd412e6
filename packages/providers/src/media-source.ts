/*
 * Images and files in OpenAI messages arrive as URLs: `data:` URLs carrying base64 bytes, or `http(s)`
 * addresses. Anthropic and Gemini want them split into a media type and base64 data, or a URL with a
 * media type; this is that split, shared by both translators.
 */

/** Bytes carried in the request itself. */
export interface InlineMedia {
  kind: 'inline';
  mimeType: string;
  /** Base64, without the `data:` prefix. */
  data: string;
}

/** A file the provider fetches itself. */
export interface RemoteMedia {
  kind: 'url';
  url: string;
  /** Guessed from the file extension; null when the extension says nothing. */
  mimeType: string | null;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic', heif: 'image/heif',
  pdf: 'application/pdf', txt: 'text/plain', mp3: 'audio/mp3', wav: 'audio/wav', mp4: 'video/mp4',
};

/** The media of an `image_url.url` or `file.file_data` value; a malformed `data:` URL is null. */
export function mediaFromUrl(url: string): InlineMedia | RemoteMedia | null {
  if (!url.startsWith('data:')) {
    const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
    return { kind: 'url', url, mimeType: (extension && MIME_BY_EXTENSION[extension]) ?? null };
  }
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match) return null;
  const mimeType = match[1] || 'text/plain';
  const isBase64 = match[2]!.split(';').includes('base64');
  let data = match[3]!;
  if (!isBase64) {
    try {
      data = Buffer.from(decodeURIComponent(data), 'utf8').toString('base64');
    } catch (error) {
      void error; // a broken percent-escape: not a usable data URL
      return null;
    }
  }
  return { kind: 'inline', mimeType, data };
}
