// A fake ESC/POS network printer for the end-to-end tests, on 127.0.0.1 only.
// It answers every real-time status request (DLE EOT n) with one status byte (0x12 = all good,
// or "paper out" when told so) and records every other byte it receives, per connection.

import net from 'node:net';

export class FakePrinter {
  constructor(name) {
    this.name = name;
    this.jobs = []; // one Buffer per connection that sent job bytes
    this.paperOut = false;
    this.server = net.createServer((sock) => this.serve(sock));
  }

  /** Listen on 127.0.0.1 (port 0 = any free port); resolves the port. */
  listen(port = 0) {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve((this.port = this.server.address().port)));
    });
  }

  /** The reply to DLE EOT n: 0x12 when healthy; paper end bits (5, 6) on n=4 when out of paper. */
  status(n) {
    if (this.paperOut && n === 4) return 0x72;
    return 0x12;
  }

  serve(sock) {
    const chunks = [];
    let pending = Buffer.alloc(0);
    sock.on('data', (data) => {
      let buf = Buffer.concat([pending, data]);
      pending = Buffer.alloc(0);
      const keep = [];
      for (let i = 0; i < buf.length; i += 1) {
        if (buf[i] === 0x10) {
          if (i + 2 >= buf.length) { pending = buf.subarray(i); break; }
          if (buf[i + 1] === 0x04) {
            sock.write(Buffer.from([this.status(buf[i + 2])]));
            i += 2;
            continue;
          }
        }
        keep.push(buf[i]);
      }
      if (keep.length) chunks.push(Buffer.from(keep));
    });
    const done = () => { if (chunks.length) { this.jobs.push(Buffer.concat(chunks)); chunks.length = 0; } };
    sock.on('end', () => { done(); sock.end(); });
    sock.on('close', done);
    sock.on('error', () => {});
  }

  /** Everything printed so far, as latin1 text (ASCII product names survive any code page). */
  text() {
    return Buffer.concat(this.jobs).toString('latin1');
  }

  /** How often `needle` was printed. */
  count(needle) {
    return this.text().split(needle).length - 1;
  }

  close() {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// Standalone: `node fake_printer.mjs 9100` prints what it receives.
if (import.meta.url === `file://${process.argv[1]}`) {
  const p = new FakePrinter('cli');
  const port = await p.listen(Number(process.argv[2] || 0));
  console.log(`fake printer on 127.0.0.1:${port}`);
  setInterval(() => { if (p.jobs.length) { console.log(p.text()); p.jobs = []; } }, 500);
}
