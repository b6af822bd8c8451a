// Checks an event's integrity in the browser with WebCrypto: its leaf hash (SHA-256 of 0x00 and
// the RFC 8785 canonical JSON of the event without `hash`, `proof` and `display`), its RFC 9162
// inclusion proof against the root of the checkpoint of that tree size, and the checkpoint's
// Ed25519 signature (C2SP signed note) by one of the log's verifier keys.

const encoder = new TextEncoder();

/** RFC 8785 canonical JSON. ECMAScript's number and string serialization is what RFC 8785 specifies. */
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(compareUtf16);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

function compareUtf16(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function sha256(...parts) {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function base64ToBytes(text) {
  const binary = atob(text.trim());
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The leaf hash of an event as the API returned it. */
export async function leafHash(event) {
  const copy = { ...event };
  delete copy.hash;
  delete copy.proof;
  delete copy.display;
  return sha256(new Uint8Array([0]), encoder.encode(canonicalJson(copy)));
}

/** The root an RFC 9162 inclusion proof leads to, or null when the proof's shape is wrong. */
export async function rootFromInclusion(leaf, index, treeSize, path) {
  if (index >= treeSize) return null;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  const one = new Uint8Array([1]);
  for (const hex of path) {
    const p = hexToBytes(hex);
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(one, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(one, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** `{size, root}` from a C2SP checkpoint note (origin, size, base64 root). */
export function parseCheckpoint(note) {
  const lines = note.split('\n');
  return { origin: lines[0], size: Number(lines[1]), root: base64ToBytes(lines[2]) };
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `{name, id, key}` from a verifier key `name+hex8(key ID)+base64(0x01 ‖ Ed25519 public key)`. */
export function parseVerifierKey(vkey) {
  // base64 has '+' in its alphabet: only the first two '+' separate fields.
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(vkey.trim());
  if (!match) return null;
  const [, name, idHex, encoded] = match;
  let bytes;
  try {
    bytes = base64ToBytes(encoded);
  } catch {
    return null;
  }
  if (bytes.length !== 33 || bytes[0] !== 1) return null;
  return { name, id: hexToBytes(idHex), key: bytes.slice(1) };
}

/**
 * Checks a C2SP signed note against verifier keys. Resolves to the key (`{name, id}`) whose
 * signature verifies, or null. A signature line is `— <name> base64(key ID ‖ signature)`; the
 * signed message is the note's text up to and including the newline before the blank line.
 */
export async function checkSignature(note, verifierKeys) {
  const end = note.indexOf('\n\n');
  if (end < 0) return null;
  const message = encoder.encode(note.slice(0, end + 1));
  const lines = note.slice(end + 2).split('\n').filter(Boolean);
  for (const vkey of verifierKeys) {
    for (const line of lines) {
      const match = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!match || match[1] !== vkey.name) continue;
      let raw;
      try {
        raw = base64ToBytes(match[2]);
      } catch {
        continue;
      }
      if (raw.length !== 68 || !equal(raw.slice(0, 4), vkey.id)) continue;
      const key = await crypto.subtle.importKey('raw', vkey.key, { name: 'Ed25519' }, false, ['verify']);
      if (await crypto.subtle.verify({ name: 'Ed25519' }, key, raw.slice(4), message)) return vkey;
    }
  }
  return null;
}

/**
 * Verifies `event` (with its `proof`) against `checkpointNote`, whose signature must verify with
 * one of `verifierKeys` (from `parseVerifierKey`).
 * Resolves to `{verified, reason, treeSize, signer}`.
 */
export async function verifyEvent(event, checkpointNote, verifierKeys = []) {
  const leaf = await leafHash(event);
  if (bytesToHex(leaf) !== event.hash) {
    return { verified: false, reason: 'The event’s content does not match its hash.' };
  }
  const proof = event.proof;
  if (!proof) return { verified: false, pending: true, reason: 'No signed checkpoint covers this event yet; Trail signs one within a minute.' };
  if (proof.leaf_hash !== event.hash) return { verified: false, reason: 'The proof is for another event.' };
  const signer = await checkSignature(checkpointNote, verifierKeys);
  if (!signer) return { verified: false, reason: 'The checkpoint is not signed by the log’s public key.', treeSize: proof.tree_size };
  const checkpoint = parseCheckpoint(checkpointNote);
  if (checkpoint.size !== proof.tree_size) return { verified: false, reason: 'The checkpoint is of another tree size.' };
  const root = await rootFromInclusion(leaf, proof.seq, proof.tree_size, proof.path);
  if (!root || !equal(root, checkpoint.root)) {
    return { verified: false, reason: 'The inclusion proof does not lead to the checkpoint’s root.', treeSize: proof.tree_size };
  }
  return { verified: true, treeSize: proof.tree_size, root: bytesToHex(root), signer: `${signer.name}+${bytesToHex(signer.id)}` };
}
