// A Node.js client of a Shardmesh node, using only @grpc/grpc-js and @grpc/proto-loader on the
// .proto files as they are in proto/src/main/proto. NodeClientIT runs it against real nodes:
//
//   node client.mjs --node 127.0.0.1:7070 --proto-dir proto/src/main/proto --size 5242880
//
// It puts a random file (Files.Put, client streaming), reads it back (Files.Get) and compares
// SHA-256s, asks Dht.FindNode, finds a shard with Files.Stat and streams it from a holder
// (Chunks.GetChunk), checking that its SHA-256 is its id. Every call has a deadline. It prints
// one JSON line of results on stdout and exits 0, or prints {"error": ...} and exits 1.
//
// Nodes serve TLS 1.3 with a self-signed certificate whose Ed25519 key is the node's identity
// (node id = SHA-256 of the raw public key); no certificate authority vouches for it. So, as
// the README shows: fetch the node's certificate, check that its key is the id meant (any id
// for the first node, the holder's id from Files.Stat for a holder), then connect trusting that
// certificate alone. The client shows no certificate of its own: nodes serve it as anonymous.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const { values: args } = parseArgs({
  options: {
    node: { type: 'string' },
    'proto-dir': { type: 'string' },
    size: { type: 'string', default: String(5 * 1024 * 1024) },
    'deadline-seconds': { type: 'string', default: '60' },
  },
});
if (!args.node || !args['proto-dir']) {
  console.error('usage: node client.mjs --node HOST:PORT --proto-dir DIR [--size BYTES] [--deadline-seconds N]');
  process.exit(2);
}
const FRAME = 1024 * 1024; // files.proto: at most 1 MiB per data frame
const deadlineMs = Number(args['deadline-seconds']) * 1000;
const deadline = () => ({ deadline: new Date(Date.now() + deadlineMs) });

// keepCase: the field names are the .proto's own (file_id, chunk_id, target_id, data).
// longs as strings: uint64 sizes and offsets stay exact.
const definition = protoLoader.loadSync(
  ['shardmesh/v1/files.proto', 'shardmesh/v1/dht.proto', 'shardmesh/v1/chunks.proto'],
  { includeDirs: [args['proto-dir']], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const v1 = grpc.loadPackageDefinition(definition).shardmesh.v1;
const channelOptions = {
  'grpc.max_receive_message_length': FRAME + 64 * 1024,
  'grpc.max_send_message_length': FRAME + 64 * 1024,
};
const clients = [];

/** The node id a node's certificate proves: SHA-256 of its raw Ed25519 key, if it signs itself with it. */
function nodeIdOf(der) {
  const cert = new X509Certificate(der);
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'ed25519' || !cert.verify(key)) {
    throw new Error('not a node certificate (an Ed25519 key that signs its own certificate)');
  }
  const raw = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url');
  return createHash('sha256').update(raw).digest('hex');
}

/** Fetches the certificate at `address` and checks its id; resolves to the certificate (PEM). */
async function certificateOf(address, expectedId) {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], minVersion: 'TLSv1.3' });
  await once(socket, 'secureConnect');
  const der = socket.getPeerCertificate(true).raw;
  socket.destroy();
  const id = nodeIdOf(der);
  if (expectedId && id !== expectedId) {
    throw new Error(`${address} answers as node ${id}, not node ${expectedId}`);
  }
  return { id, pem: new X509Certificate(der).toString() };
}

/** A client of `Service` at `address` that trusts only the certificate just checked there. */
async function client(Service, address, expectedId) {
  const { id, pem } = await certificateOf(address, expectedId);
  const credentials = grpc.credentials.createSsl(Buffer.from(pem), null, null, {
    // No host name to check: the node id is the identity, and the certificate must still prove it.
    checkServerIdentity: (hostname, cert) => (nodeIdOf(cert.raw) === id ? undefined : new Error(`not node ${id}`)),
  });
  const c = new Service(address, credentials, channelOptions);
  clients.push(c);
  return c;
}

function unary(stub, method, request) {
  return new Promise((resolve, reject) => {
    stub[method](request, deadline(), (err, response) => (err ? reject(err) : resolve(response)));
  });
}

/** Files.Put: the header, then the bytes in 1 MiB frames, honouring the stream's backpressure. */
async function put(files, bytes) {
  let call;
  const response = new Promise((resolve, reject) => {
    call = files.Put(deadline(), (err, r) => (err ? reject(err) : resolve(r)));
  });
  call.write({ header: { name: 'node-client.bin', k: 2, m: 1, shard_size: 256 * 1024 } });
  for (let off = 0; off < bytes.length; off += FRAME) {
    if (!call.write({ data: bytes.subarray(off, Math.min(bytes.length, off + FRAME)) })) {
      await Promise.race([once(call, 'drain'), response]);
    }
  }
  call.end();
  return response;
}

/** Reads a server stream of `data` frames, hashing as it goes; checks that offsets follow on. */
function readStream(call, onFirst) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    let frames = 0;
    let first = true;
    call.on('data', (msg) => {
      if (first && onFirst) {
        onFirst(msg);
      }
      first = false;
      if (Number(msg.offset) !== bytes) {
        call.cancel();
        reject(new Error(`frame at offset ${msg.offset}, expected ${bytes}`));
        return;
      }
      hash.update(msg.data);
      bytes += msg.data.length;
      frames += 1;
    });
    call.on('error', reject);
    call.on('end', () => resolve({ sha256: hash.digest('hex'), bytes, frames }));
  });
}

async function main() {
  const size = Number(args.size);
  const files = await client(v1.Files, args.node);
  const dht = await client(v1.Dht, args.node);
  const out = {};

  const data = randomBytes(size);
  const sha256 = createHash('sha256').update(data).digest('hex');
  let t = Date.now();
  const putResponse = await put(files, data);
  out.put = {
    file_id: putResponse.file_id, size: Number(putResponse.size), sha256, warnings: putResponse.warnings,
    ms: Date.now() - t,
  };

  t = Date.now();
  let entry = null;
  const got = await readStream(files.Get({ file_id: putResponse.file_id }, deadline()), (m) => { entry = m.file; });
  out.get = { ...got, matches: got.sha256 === sha256, file_name: entry && entry.name, ms: Date.now() - t };

  const target = randomBytes(32).toString('hex');
  const found = await unary(dht, 'FindNode', { target_id: target, limit: 20 });
  out.find_node = {
    target_id: target,
    responder_id: found.responder.node_id,
    contacts: found.contacts.map((c) => ({ node_id: c.node_id, address: `${c.host}:${c.port}` })),
  };

  const stat = await unary(files, 'Stat', { file_id: putResponse.file_id });
  const shard = stat.stripes[0].shards.find((s) => s.holders.length > 0);
  if (!shard) {
    throw new Error('Files.Stat lists no holder for any shard of stripe 0');
  }
  const holders = new Set(stat.stripes.flatMap((s) => s.shards.flatMap((sh) => sh.holders.map((h) => h.node_id))));
  const holder = shard.holders[0];
  const chunks = await client(v1.Chunks, `${holder.host}:${holder.port}`, holder.node_id);
  let chunkSize = -1;
  const chunk = await readStream(chunks.GetChunk({ chunk_id: shard.chunk_id }, deadline()),
    (m) => { chunkSize = Number(m.chunk_size); });
  out.stat = {
    stripes: stat.stripes.length, k: stat.manifest.k, m: stat.manifest.m,
    content_sha256: stat.manifest.content_sha256, distinct_holders: holders.size,
  };
  out.chunk = {
    chunk_id: shard.chunk_id, holder_id: holder.node_id, holder_address: `${holder.host}:${holder.port}`,
    ...chunk, chunk_size: chunkSize, matches: chunk.sha256 === shard.chunk_id,
  };
  return out;
}

let exitCode = 0;
try {
  console.log(JSON.stringify(await main()));
} catch (e) {
  exitCode = 1;
  console.log(JSON.stringify({ error: String(e && e.message ? e.message : e), code: e && e.code }));
} finally {
  clients.forEach((c) => c.close());
}
process.exitCode = exitCode;
