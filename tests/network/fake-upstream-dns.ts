export {};
// A resolver for the embedded DNS to forward to, run inside the test's network
// namespace: it answers every A question with 10.9.8.7, built by hand here so
// that it does not share the server's code.
const sock = await Bun.udpSocket({
  hostname: process.argv[2] ?? "127.0.0.1",
  port: 53,
  socket: {
    data(s, data, port, addr) {
      const q = Buffer.from(data);
      let off = 12;
      while (q[off]) off += q[off]! + 1;
      const question = q.subarray(12, off + 5);
      const head = Buffer.from([q[0]!, q[1]!, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
      const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7]);
      s.send(Buffer.concat([head, question, rr]), port, addr);
    },
  },
});
console.log(`listening ${sock.port}`);
