/**
 * A writable that keeps what the reporters print, posing as a terminal when `isTTY` is set: it
 * answers the cursor calls cli-progress makes on a TTY stream.
 */
import { Writable } from 'node:stream';

export class CaptureStream extends Writable {
  text = '';
  isTTY?: boolean;

  constructor(public columns = 100) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }

  cursorTo(): boolean {
    return true;
  }

  moveCursor(): boolean {
    return true;
  }

  clearLine(): boolean {
    return true;
  }

  clearScreenDown(): boolean {
    return true;
  }
}
