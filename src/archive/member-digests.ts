/**
 * Digests of tar members as their data streams past (TarParser events): size and sha256 of every
 * regular file, the small documents a reader needs afterwards (image configs, manifests, pack's
 * own manifest) kept in memory, and for compressed OCI layer blobs the digest of the uncompressed
 * tar as well (its diff ID), so that one pass over an archive is enough to check all of it.
 *
 * Memory: one hash state per member at a time, documents up to DOCUMENT_MAX each and
 * DOCUMENTS_TOTAL_MAX together; layer data is never kept.
 */
import { createHash, type Hash } from 'node:crypto';
import * as zlib from 'node:zlib';
import type { HashWorker } from '../hash-worker.js';
import type { TarEvent, TarMember, TarMemberType } from './tar-parser.js';

/** Members at least this large are hashed on the worker thread, when there is one. */
export const WORKER_MIN_SIZE = 1024 * 1024;
/** Documents larger than this are not kept (image configs and manifests are a few kB). */
export const DOCUMENT_MAX = 4 * 1024 * 1024;
const DOCUMENTS_TOTAL_MAX = 64 * 1024 * 1024;

export interface DigestedMember {
  /** The name as stored in the tar. */
  readonly name: string;
  readonly type: TarMemberType;
  readonly size: number;
  /** `sha256:<hex>` of the data, for regular files. */
  readonly digest: string | undefined;
  readonly linkname: string;
  /** Offset of the member's header in the (uncompressed) stream. */
  readonly offset: number;
  /** For a gzip (or zstd) compressed blob: how it is compressed and the digest of what it expands to. */
  readonly compression?: 'gzip' | 'zstd';
  readonly uncompressedDigest?: string;
  /** Why the uncompressed digest could not be computed, when it could not. */
  readonly uncompressedError?: string;
}

export interface MemberDigesterOptions {
  /** Whether to keep a member's content in memory (only asked for files up to DOCUMENT_MAX). */
  readonly keep?: (name: string, size: number) => boolean;
  /** Whether to compute the uncompressed digest of a member whose data is gzip/zstd compressed. */
  readonly expand?: (name: string) => boolean;
  /** Receives every data chunk of every member (nested readers: the context tar inside an archive). */
  readonly onData?: (member: TarMember, chunk: Buffer) => void;
  /** Hashes large members on another thread; their digests are filled in by `settle()`. */
  readonly worker?: HashWorker;
}

interface Current {
  readonly member: TarMember;
  readonly hash: Hash;
  size: number;
  parts: Buffer[] | undefined;
  expander: Expander | undefined;
  /** First bytes while it is not yet known whether the data is compressed (only when asked to expand). */
  head: Buffer | undefined;
  /** Hashed on the worker thread rather than with `hash`. */
  readonly onWorker: boolean;
}

export class MemberDigester {
  readonly members: DigestedMember[] = [];
  /** Kept documents by name as stored. */
  readonly documents = new Map<string, Buffer>();
  private kept = 0;
  private current: Current | undefined;
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly options: MemberDigesterOptions = {}) {}

  /**
   * Takes one parser event. Returns a promise only when it must wait (a compressed blob being
   * expanded applies backpressure); callers await it then, and go on synchronously otherwise.
   */
  handle(event: TarEvent): Promise<void> | undefined {
    switch (event.kind) {
      case 'member': {
        const { member } = event;
        const keep =
          member.type === 'file' && member.size <= DOCUMENT_MAX && this.kept + member.size <= DOCUMENTS_TOTAL_MAX && (this.options.keep?.(member.name, member.size) ?? false);
        const expand = member.type === 'file' && member.size > 0 && this.options.expand?.(member.name) === true;
        const onWorker = this.options.worker !== undefined && member.type === 'file' && member.size >= WORKER_MIN_SIZE;
        this.current = { member, hash: createHash('sha256'), size: 0, parts: keep ? [] : undefined, expander: undefined, head: expand ? Buffer.alloc(0) : undefined, onWorker };
        return undefined;
      }
      case 'data': {
        const current = this.current as Current;
        let hashing: Promise<void> | undefined;
        if (current.onWorker) hashing = this.options.worker?.update(event.chunk);
        else current.hash.update(event.chunk);
        current.size += event.chunk.length;
        current.parts?.push(event.chunk);
        this.options.onData?.(current.member, event.chunk);
        if (current.head !== undefined) {
          // Undecided: gather the first bytes (4 tell gzip and zstd apart) before choosing.
          current.head = Buffer.concat([current.head, event.chunk]);
          if (current.head.length < 4 && current.size < current.member.size) return hashing;
          const head = current.head;
          current.head = undefined;
          current.expander = Expander.for(head);
          return both(hashing, current.expander?.write(head));
        }
        return both(hashing, current.expander?.write(event.chunk));
      }
      case 'member-end':
        return this.finishMember();
      case 'end':
        return undefined;
    }
  }

  private finishMember(): Promise<void> | undefined {
    const current = this.current as Current;
    this.current = undefined;
    const { member } = current;
    if (current.parts !== undefined) {
      const content = Buffer.concat(current.parts);
      this.documents.set(member.name, content);
      this.kept += content.length;
    }
    const base = {
      name: member.name,
      type: member.type,
      size: current.size,
      digest: member.type === 'file' && !current.onWorker ? `sha256:${current.hash.digest('hex')}` : undefined,
      linkname: member.linkname,
      offset: member.offset,
    };
    // The member keeps its place in the list while its digest or expansion finishes.
    const index = this.members.push(base) - 1;
    if (current.onWorker) {
      const worker = this.options.worker as HashWorker;
      this.pending.push(
        worker.digest().then((digest) => {
          this.members[index] = { ...(this.members[index] as DigestedMember), digest };
        }),
      );
    }
    const expander = current.expander;
    if (expander === undefined) return undefined;
    return expander.finish().then((result) => {
      this.members[index] = { ...(this.members[index] as DigestedMember), compression: expander.kind, ...result };
    });
  }

  /** Waits for the digests still being computed on the worker thread; `members` is complete after it. */
  async settle(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}

/** Hashes what a gzip (or zstd, where Node has it) stream expands to. */
class Expander {
  private readonly hash = createHash('sha256');
  private error: string | undefined;

  private constructor(
    readonly kind: 'gzip' | 'zstd',
    private readonly stream: zlib.Gunzip | undefined,
  ) {
    stream?.on('data', (chunk: Buffer) => this.hash.update(chunk));
    stream?.on('error', (error: Error) => {
      this.error ??= error.message;
    });
  }

  static for(first: Buffer): Expander | undefined {
    if (first[0] === 0x1f && first[1] === 0x8b) return new Expander('gzip', zlib.createGunzip());
    if (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd) {
      // zlib's zstd support arrived in Node 22.15; without it the diff ID cannot be checked.
      const create = (zlib as unknown as { createZstdDecompress?: () => zlib.Gunzip }).createZstdDecompress;
      const expander = new Expander('zstd', create?.());
      if (create === undefined) expander.error = `this Node.js (${process.version}) cannot decompress zstd`;
      return expander;
    }
    return undefined;
  }

  write(chunk: Buffer): Promise<void> | undefined {
    const stream = this.stream;
    if (stream === undefined || this.error !== undefined || stream.destroyed) return undefined;
    return new Promise((resolve) => {
      stream.write(chunk, () => resolve());
    });
  }

  async finish(): Promise<{ uncompressedDigest?: string; uncompressedError?: string }> {
    const stream = this.stream;
    if (stream !== undefined && this.error === undefined && !stream.destroyed) {
      await new Promise<void>((resolve) => {
        stream.once('end', resolve);
        stream.once('error', () => resolve());
        stream.end();
        stream.resume();
      });
    }
    if (this.error !== undefined) return { uncompressedError: this.error };
    return { uncompressedDigest: `sha256:${this.hash.digest('hex')}` };
  }
}

function both(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Promise.all([a, b]).then(() => undefined);
}
