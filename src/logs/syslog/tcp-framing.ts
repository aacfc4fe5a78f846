/**
 * Syslog over TCP, split into messages (RFC 6587), pure and bounded. Each frame is either octet-counted
 * (`LEN SP MSG`, 3.4.1: rsyslog `TCP_Framing="octet-counted"`, syslog-ng's `syslog()` driver) or
 * LF-terminated (3.4.2, non-transparent framing: nginx-style relays, rsyslog's default, `logger --tcp`),
 * decided frame by frame by its first byte, as rsyslog does: a digit starts an octet count (no syslog
 * message starts with a digit: it starts with `<`).
 *
 * Memory: at most `maxMessageBytes` are buffered per connection. A longer LF frame is cut: its start
 * is reported as too long and the rest skipped up to the next LF; a longer octet-counted frame is
 * skipped whole (its length is known). A malformed octet count cannot be resynchronised: `push`
 * answers 'bad-frame' and the caller closes the connection.
 */

/** What `push` found in a chunk. */
export interface FramerOutput {
  /** Complete messages, in order (UTF-8 text, LF/CR stripped by the parser later). */
  readonly messages: string[];
  /** Frames over the size cap, skipped (counted as `too-long`). */
  readonly oversize: number;
  /** True when the stream broke the framing (the connection should be closed). */
  readonly broken: boolean;
}

/** Splits one TCP connection's bytes into syslog messages. One instance per connection. */
export class SyslogFramer {
  private readonly max: number;
  /** Bytes of the frame in progress (LF frames, or an octet-counted frame's body). */
  private buf: Buffer = Buffer.alloc(0);
  /** Octet-counted frame: bytes still expected (-1: between frames or in an LF frame). */
  private remaining = -1;
  /** Skipping the rest of an oversize frame: octets left (counted), or until LF (`Infinity`). */
  private skip = 0;
  private header = '';

  constructor(maxMessageBytes: number) {
    this.max = maxMessageBytes;
  }

  /** Feed the next chunk; answers the messages it completes. */
  push(chunk: Buffer): FramerOutput {
    const messages: string[] = [];
    let oversize = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        if (this.skip === Infinity) {
          const lf = chunk.indexOf(10, i);
          if (lf < 0) return { messages, oversize, broken: false };
          this.skip = 0;
          i = lf + 1;
        } else {
          const n = Math.min(this.skip, chunk.length - i);
          this.skip -= n;
          i += n;
        }
        continue;
      }
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.buf = this.buf.length === 0 ? chunk.subarray(i, i + n) : Buffer.concat([this.buf, chunk.subarray(i, i + n)]);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) {
          messages.push(this.buf.toString('utf8'));
          this.buf = Buffer.alloc(0);
          this.remaining = -1;
        }
        continue;
      }
      if (this.header !== '' || (this.buf.length === 0 && isDigit(chunk[i]!))) {
        // Octet count: digits, then one space.
        const c = chunk[i]!;
        i++;
        if (isDigit(c)) {
          this.header += String.fromCharCode(c);
          if (this.header.length > 9) return { messages, oversize, broken: true };
          continue;
        }
        if (c !== 32) return { messages, oversize, broken: true };
        const len = Number(this.header);
        this.header = '';
        if (len === 0) continue;
        if (len > this.max) {
          oversize++;
          this.skip = len;
        } else this.remaining = len;
        continue;
      }
      const lf = chunk.indexOf(10, i);
      const end = lf < 0 ? chunk.length : lf;
      if (this.buf.length + (end - i) > this.max) {
        oversize++;
        this.buf = Buffer.alloc(0);
        this.skip = Infinity;
        continue;
      }
      const piece = chunk.subarray(i, end);
      this.buf = this.buf.length === 0 ? Buffer.from(piece) : Buffer.concat([this.buf, piece]);
      if (lf < 0) return { messages, oversize, broken: false };
      if (this.buf.length > 0) messages.push(this.buf.toString('utf8'));
      this.buf = Buffer.alloc(0);
      i = lf + 1;
    }
    return { messages, oversize, broken: false };
  }

  /** Bytes held for an unfinished frame (at most maxMessageBytes). */
  get buffered(): number {
    return this.buf.length;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
