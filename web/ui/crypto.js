// Browser side of package seal: repo keys from `optiq key export`, their
// HKDF sub-keys, the key check value and the sealed blob format
//
//   0x01 | 12-byte nonce | AES-256-GCM(raw DEFLATE(plaintext))
//
// with additional data "optiq/v1" | repo id | path | kind, each length
// prefixed (4 bytes, big endian). Keys are imported as non-extractable
// CryptoKeys and kept in IndexedDB; the raw key bytes are dropped as soon
// as the sub-keys are derived.

const enc = new TextEncoder();
const BLOB_VERSION = 1;
const NONCE = 12;
const TAG = 16;

// KeyError is a missing, malformed or wrong key (as opposed to a network
// or server failure).
export class KeyError extends Error {}

// parseExported parses "optiq-key-v1:<repo id>:<base64url key>".
export function parseExported(text) {
  const parts = String(text).trim().split(":");
  if (parts.length !== 3 || parts[0] !== "optiq-key-v1" || parts[1] === "") {
    throw new KeyError('not an exported Optiq key (expected "optiq-key-v1:<repo>:<key>"): run `optiq key export REPO` and paste its output');
  }
  let raw;
  try {
    raw = base64urlDecode(parts[2]);
  } catch {
    throw new KeyError("the exported key is corrupt: copy the whole line printed by `optiq key export`");
  }
  if (raw.length !== 32) {
    throw new KeyError(`the exported key is corrupt (a repo key is 32 bytes, this one is ${raw.length}): copy the whole line printed by \`optiq key export\``);
  }
  return { repoId: parts[1], raw };
}

export function base64urlDecode(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("not base64url");
  return base64Decode(s.replace(/-/g, "+").replace(/_/g, "/"));
}

// base64Decode decodes standard base64 (what Go's encoding/json makes of
// []byte), padded or not.
export function base64Decode(s) {
  const pad = s.length % 4 === 0 ? "" : "=".repeat(4 - (s.length % 4));
  const bin = atob(s + pad);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hkdfParams(info) {
  return { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: enc.encode(info) };
}

// deriveRepoKeys turns raw key bytes into the content key (AES-GCM,
// decrypt only) and the key check value, all non-extractable.
export async function deriveRepoKeys(raw) {
  const base = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey", "deriveBits"]);
  const content = await crypto.subtle.deriveKey(hkdfParams("optiq/v1 content"), base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  const checkKey = await crypto.subtle.deriveKey(hkdfParams("optiq/v1 key-check"), base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", checkKey, enc.encode("optiq key check")));
  return { content, check: mac.slice(0, 16) };
}

// sameBytes compares two byte arrays (the check value is not secret).
export function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function aad(repoId, path, kind) {
  const parts = [enc.encode("optiq/v1")];
  for (const s of [repoId, path, kind]) {
    const b = enc.encode(s);
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, b.length);
    parts.push(n, b);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

// symbolField is seal.SymbolField: the kind of a symbol's signature or doc.
export function symbolField(field, name, line) {
  return `${field}/${line}/${name}`;
}

// MAX_PLAINTEXT mirrors seal.MaxPlaintext.
const MAX_PLAINTEXT = 64 << 20;

// open authenticates, decrypts and inflates a blob sealed for (path, kind)
// of repo repoId. A wrong key or a tampered or moved blob throws KeyError.
export async function open(contentKey, repoId, path, kind, blob) {
  if (typeof blob === "string") blob = base64Decode(blob);
  if (blob.length < 1 + NONCE + TAG || blob[0] !== BLOB_VERSION) {
    throw new KeyError(`${path}: not a sealed blob (wrong key or tampered data)`);
  }
  let compressed;
  try {
    compressed = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: blob.subarray(1, 1 + NONCE), additionalData: aad(repoId, path, kind), tagLength: 128 },
      contentKey,
      blob.subarray(1 + NONCE),
    );
  } catch {
    throw new KeyError(`${path}: authentication failed (wrong key or tampered data)`);
  }
  const stored = inflateStored(new Uint8Array(compressed));
  if (stored) return stored;
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_PLAINTEXT) {
      reader.cancel();
      throw new Error(`${path}: payload exceeds size limit`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

// inflateStored decodes raw DEFLATE made only of stored (uncompressed)
// blocks, which is how seal writes short payloads (most signatures and
// docs); it returns null for anything else, which then goes through
// DecompressionStream. A stream per blob costs more than the decryption.
function inflateStored(b) {
  const parts = [];
  let off = 0;
  let size = 0;
  for (;;) {
    if (off + 5 > b.length) return null;
    const hdr = b[off];
    if ((hdr >> 1) & 3 || hdr >> 3) return null; // not a stored block header
    const len = b[off + 1] | (b[off + 2] << 8);
    const nlen = b[off + 3] | (b[off + 4] << 8);
    if ((len ^ 0xffff) !== nlen || off + 5 + len > b.length) return null;
    parts.push(b.subarray(off + 5, off + 5 + len));
    size += len;
    off += 5 + len;
    if (hdr & 1) break;
  }
  if (off !== b.length) return null;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// openText is open decoded as UTF-8.
export async function openText(contentKey, repoId, path, kind, blob) {
  return new TextDecoder().decode(await open(contentKey, repoId, path, kind, blob));
}

// The key store: one non-extractable AES-GCM CryptoKey per repo id.
const DB = "optiq";
const STORE = "repo-keys";

function db() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const d = await db();
  try {
    return await new Promise((resolve, reject) => {
      const t = d.transaction(STORE, mode);
      const req = fn(t.objectStore(STORE));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  } finally {
    d.close();
  }
}

export function saveKey(repoId, contentKey) {
  return tx("readwrite", (s) => s.put({ repoId, content: contentKey, importedAt: new Date().toISOString() }, repoId));
}

export async function loadKey(repoId) {
  const v = await tx("readonly", (s) => s.get(repoId));
  return v ? v.content : null;
}

export function deleteKey(repoId) {
  return tx("readwrite", (s) => s.delete(repoId));
}

export async function listKeys() {
  return (await tx("readonly", (s) => s.getAll())) || [];
}

// importExported checks an exported key against the repo's key check
// value and stores its content key. repos are the workspace's repos.
export async function importExported(text, repos) {
  const { repoId, raw } = parseExported(text);
  const repo = repos.find((r) => r.id === repoId);
  if (!repo) {
    throw new KeyError(`this key belongs to repo ${repoId}, which is not in this workspace: pick its workspace first`);
  }
  const keys = await deriveRepoKeys(raw);
  raw.fill(0);
  if (!sameBytes(keys.check, base64Decode(repo.key_check || ""))) {
    throw new KeyError(`this is not the key of repo ${repo.name}: export it again with \`optiq key export ${repo.name}\``);
  }
  await saveKey(repoId, keys.content);
  return repo;
}
