import { createHash } from 'node:crypto';

/**
 * The object id git gives `content` as a blob, computed here instead of spawning
 * `git hash-object`; `like` is any object id of the same repository (SHA-1 or SHA-256).
 *
 * A module of its own, imported only when needed: a hook that does not need node:crypto does not
 * load it (docs/design.md, "CommonJS entries and lazy loads").
 */
export function blobObjectId(content: string | Uint8Array, like: string): string {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  const hash = createHash(like.length === 64 ? 'sha256' : 'sha1');
  hash.update(`blob ${bytes.byteLength}\0`);
  hash.update(bytes);
  return hash.digest('hex');
}
