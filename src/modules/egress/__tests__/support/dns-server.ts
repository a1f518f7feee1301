import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Records per name (lower case, no trailing dot). Names not listed answer NXDOMAIN. */
export type DnsZone = Record<string, { A?: string[]; AAAA?: string[] }>;

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for `Resolver#setServers`. */
  address: string;
  queries: { name: string; type: number }[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** A tiny authoritative DNS server on loopback UDP, with hand-encoded packets (RFC 1035 section 4). */
export async function startDnsServer(zone: DnsZone): Promise<TestDnsServer> {
  const socket: Socket = createSocket('udp4');
  const queries: { name: string; type: number }[] = [];
  socket.on('message', (packet: Buffer, peer: RemoteInfo) => {
    const question = parseQuestion(packet);
    if (question === null) {
      return;
    }
    queries.push({ name: question.name, type: question.type });
    socket.send(answer(packet, question, zone), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

interface Question {
  name: string;
  type: number;
  /** The question section as received: echoed back verbatim in the answer. */
  raw: Buffer;
}

function parseQuestion(packet: Buffer): Question | null {
  if (packet.length < 17 || packet.readUInt16BE(4) !== 1) {
    return null;
  }
  const labels: string[] = [];
  let offset = 12;
  while (packet[offset] !== 0) {
    const length = packet[offset];
    labels.push(packet.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  const end = offset + 5; // the zero byte, QTYPE and QCLASS
  return { name: labels.join('.').toLowerCase(), type: packet.readUInt16BE(offset + 1), raw: packet.subarray(12, end) };
}

function answer(query: Buffer, question: Question, zone: DnsZone): Buffer {
  const records = zone[question.name];
  const addresses = recordsFor(records, question.type);
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // transaction id
  // QR + AA + RD + RA; rcode 3 (NXDOMAIN) for unknown names, 0 (with possibly no answers) otherwise.
  header.writeUInt16BE(0x8580 | (records ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  return Buffer.concat([header, question.raw, ...addresses.map((address) => resourceRecord(address))]);
}

function recordsFor(records: DnsZone[string] | undefined, type: number): string[] {
  if (type === TYPE_A) {
    return records?.A ?? [];
  }
  return type === TYPE_AAAA ? (records?.AAAA ?? []) : [];
}

function resourceRecord(address: string): Buffer {
  const bytes = Buffer.from(ipaddr.parse(address).toByteArray());
  const record = Buffer.alloc(12);
  record.writeUInt16BE(0xc00c, 0); // name: pointer to the question's name
  record.writeUInt16BE(isIP(address) === 6 ? TYPE_AAAA : TYPE_A, 2);
  record.writeUInt16BE(1, 4); // class IN
  record.writeUInt32BE(0, 6); // TTL 0: nothing may be cached, as in a rebinding attack
  record.writeUInt16BE(bytes.length, 10);
  return Buffer.concat([record, bytes]);
}
