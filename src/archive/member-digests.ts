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
import type { TarEvent, TarMember, TarMemberType } from './tar-parser.js';

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
}

interface Current {
  readonly member: TarMember;
  readonly hash: Hash;
  size: number;
  parts: Buffer[] | undefined;
  expander: Expander | undefined;
  /** First bytes while it is not yet known whether the data is compressed (only when asked to expand). */
  head: Buffer | undefined;
}

export class MemberDigester {
  readonly members: DigestedMember[] = [];
  /** Kept documents by name as stored. */
  readonly documents = new Map<string, Buffer>();
  private kept = 0;
  private current: Current | undefined;

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
        this.current = { member, hash: createHash('sha256'), size: 0, parts: keep ? [] : undefined, expander: undefined, head: expand ? Buffer.alloc(0) : undefined };
        return undefined;
      }
      case 'data': {
        const current = this.current as Current;
        current.hash.update(event.chunk);
        current.size += event.chunk.length;
        current.parts?.push(event.chunk);
        this.options.onData?.(current.member, event.chunk);
        if (current.head !== undefined) {
          // Undecided: gather the first bytes (4 tell gzip and zstd apart) before choosing.
          current.head = Buffer.concat([current.head, event.chunk]);
          if (current.head.length < 4 && current.size < current.member.size) return undefined;
          const head = current.head;
          current.head = undefined;
          current.expander = Expander.for(head);
          return current.expander?.write(head);
        }
        return current.expander?.write(event.chunk);
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
      digest: member.type === 'file' ? `sha256:${current.hash.digest('hex')}` : undefined,
      linkname: member.linkname,
      offset: member.offset,
    };
    const expander = current.expander;
    if (expander === undefined) {
      this.members.push(base);
      return undefined;
    }
    // Keep the member's place in the list while its expansion finishes.
    const index = this.members.push(base) - 1;
    return expander.finish().then((result) => {
      this.members[index] = { ...base, compression: expander.kind, ...result };
    });
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
