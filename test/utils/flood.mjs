// A webhook flood for the fairness test, in a process of its own: open loop while on (one request every 10 ms on a
// free keep-alive connection, whatever the answers), over raw sockets so the generator costs as little as it can (it
// shares the machine's cores with the servers it floods). Messages: 'on', 'off', 'stop' (answers with the statuses).
import { connect } from 'node:net';

const [a, b, flow] = process.argv.slice(2);
const statuses = {};
let on = false;
let stop = false;
let seq = 0;
process.on('message', (m) => {
  if (m === 'stop') stop = true;
  else on = m === 'on';
});

const conns = [];
for (let i = 0; i < 20; i++) {
  const u = new URL(i % 2 ? b : a);
  const c = { socket: connect(Number(u.port), u.hostname), host: u.host, busy: false };
  c.socket.setNoDelay(true);
  c.socket.on('data', (d) => {
    for (const m of d.toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)) {
      statuses[m[1]] = (statuses[m[1]] ?? 0) + 1;
      c.busy = false;
    }
  });
  c.socket.on('error', () => {
    statuses.error = (statuses.error ?? 0) + 1;
  });
  conns.push(c);
}

while (!stop) {
  const c = on && conns.find((x) => !x.busy && !x.socket.destroyed);
  if (c) {
    const body = JSON.stringify({ id: `flood-${seq++}` });
    c.busy = true;
    c.socket.write(
      `POST /hooks/${flow} HTTP/1.1\r\nHost: ${c.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  await new Promise((r) => setTimeout(r, 10));
}
await new Promise((r) => setTimeout(r, 500));
for (const c of conns) c.socket.destroy();
process.send(statuses, () => process.exit(0));
