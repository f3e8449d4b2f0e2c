import { createHash } from 'crypto';
import * as fs from 'fs';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/fs';

/** A checkpoint that cannot be used: truncated, corrupted, or from another config. */
export class CheckpointError extends UserError {}

/** What a checkpoint holds: JSON state and named float32 arrays. */
export interface CheckpointContent {
  meta: Record<string, unknown>;
  tensors: Map<string, Float32Array>;
}

const MAGIC = 'ABSNASCK';
const VERSION = 1;
const DIGEST_BYTES = 32;

/*
 * Layout: MAGIC (8 bytes) | version u32 | header length u32 | header JSON
 * (meta + tensor index) | padding to 4 bytes | float32 data | sha256 of all
 * bytes before it. Written to a temp file, fsynced, renamed.
 */
export function encodeCheckpoint(content: CheckpointContent): Buffer {
  const index: { name: string; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, data] of content.tensors) {
    index.push({ name, offset, length: data.length });
    offset += data.length;
  }
  const header = Buffer.from(JSON.stringify({ meta: content.meta, tensors: index }), 'utf8');
  const headerPadded = Math.ceil((16 + header.length) / 4) * 4 - 16;
  const body = Buffer.alloc(16 + headerPadded + offset * 4);
  body.write(MAGIC, 0, 'latin1');
  body.writeUInt32LE(VERSION, 8);
  body.writeUInt32LE(header.length, 12);
  header.copy(body, 16);
  const floats = new Float32Array(body.buffer, body.byteOffset + 16 + headerPadded, offset);
  for (const [i, [, data]] of [...content.tensors].entries()) floats.set(data, index[i].offset);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

export function decodeCheckpoint(buf: Buffer, file: string): CheckpointContent {
  const fail = (why: string): never => {
    throw new CheckpointError(`checkpoint ${file}: ${why}`);
  };
  if (buf.length >= 8 && buf.toString('latin1', 0, 8) !== MAGIC) fail(`not an absnas checkpoint (expected magic ${MAGIC})`);
  if (buf.length < 16 + DIGEST_BYTES) fail(`truncated (${buf.length} bytes)`);
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) fail(`format version ${version}, this absnas reads version ${VERSION}`);
  const body = buf.subarray(0, buf.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) fail('checksum mismatch (the file is truncated or corrupted)');
  const headerLength = buf.readUInt32LE(12);
  if (16 + headerLength > body.length) fail('header runs past the end of the file');
  let header: { meta: Record<string, unknown>; tensors: { name: string; offset: number; length: number }[] };
  try {
    header = JSON.parse(body.toString('utf8', 16, 16 + headerLength));
  } catch {
    return fail('unreadable header');
  }
  const headerPadded = Math.ceil((16 + headerLength) / 4) * 4 - 16;
  const dataBytes = body.length - 16 - headerPadded;
  // copy out so the tensors do not pin the file buffer (and are 4-byte aligned)
  const floats = new Float32Array(dataBytes / 4);
  new Uint8Array(floats.buffer).set(body.subarray(16 + headerPadded));
  const tensors = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    if (t.offset + t.length > floats.length) fail(`tensor ${t.name} runs past the end of the data`);
    tensors.set(t.name, floats.slice(t.offset, t.offset + t.length));
  }
  return { meta: header.meta, tensors };
}

export function writeCheckpoint(file: string, content: CheckpointContent): void {
  writeFileAtomic(file, encodeCheckpoint(content));
}

export function readCheckpoint(file: string): CheckpointContent {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return decodeCheckpoint(buf, file);
}
