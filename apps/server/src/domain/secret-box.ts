import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT = 'v1';
const IV_BYTES = 12; // the size GCM is specified for; never reused: a fresh random IV per seal
const TAG_BYTES = 16;

/** A sealed secret that cannot be opened: wrong key, tampered text, or copied to another row or field. */
export class SecretUnreadableError extends Error {
  constructor(reason: string) {
    super(`Secret cannot be decrypted: ${reason}`);
    this.name = 'SecretUnreadableError';
  }
}

/**
 * Encrypts provider secrets at rest with AES-256-GCM under the 32-byte key from the configuration.
 * Text format `v1:<iv>:<tag>:<ciphertext>` (base64url parts), versioned so a future key rotation or
 * algorithm can add `v2` and still read old rows. `context` (e.g. `credential:<id>:api_key`) is bound as
 * additional authenticated data, so a ciphertext moved to another credential or column does not open.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`SecretBox needs a 32-byte key, got ${key.length} bytes`);
    this.key = Buffer.from(key); // a private copy: the caller's buffer may be reused or zeroed
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
  }

  /** Throws `SecretUnreadableError` when the text is not ours, was altered, or belongs to another context. */
  open(sealed: string, context: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== FORMAT) throw new SecretUnreadableError(`unknown format '${parts[0] ?? ''}'`);
    const iv = Buffer.from(parts[1]!, 'base64url');
    const tag = Buffer.from(parts[2]!, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretUnreadableError('malformed IV or tag');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      // OpenSSL reports every authentication failure the same way; say what it means here.
      throw new SecretUnreadableError(`authentication failed (${error instanceof Error ? error.message : String(error)}); was the encryption key changed?`);
    }
  }
}
