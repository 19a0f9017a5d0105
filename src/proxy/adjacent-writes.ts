/**
 * Rows for the client, merged while they lie next to each other in memory: the rows of one upstream
 * read are views of the same chunk, and rewritten rows are appended to one output block (see
 * src/results/row-rewrite.ts), so a run of them goes to the socket as one write instead of one per
 * row (each costs a queued write and an entry in the socket's writev).
 *
 * The caller must `flush` before writing anything to the socket itself, so the order holds.
 */
export class AdjacentWrites {
  #memory: ArrayBufferLike | undefined;
  #start = 0;
  #end = 0;

  constructor(private readonly write: (bytes: Buffer) => void) {}

  add(bytes: Buffer): void {
    if (bytes.buffer === this.#memory && bytes.byteOffset === this.#end) {
      this.#end += bytes.length;
      return;
    }
    this.flush();
    this.#memory = bytes.buffer;
    this.#start = bytes.byteOffset;
    this.#end = bytes.byteOffset + bytes.length;
  }

  /** Writes what was added and not yet written. */
  flush(): void {
    const memory = this.#memory;
    if (memory === undefined) return;
    this.#memory = undefined;
    this.write(Buffer.from(memory, this.#start, this.#end - this.#start));
  }
}
