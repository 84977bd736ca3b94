// A Node client of the CSTO suite, written from protos/ alone (no generated code: proto-loader reads the .proto files).
// It reads the roster on a date, follows a decision's positions, decodes an error's details (google.rpc.Status in the
// grpc-status-details-bin trailer) and, with CSTO_AMQP_URL, consumes DecisionAdopted from the broker.
//
//   CSTO_MEMBERSHIP=127.0.0.1:5101 CSTO_BODIES=127.0.0.1:5102 CSTO_TOKEN=<jwt> node client.js
//   optional: CSTO_AS_OF=2013-01-01, CSTO_DECISION=decisions/kazakhstan-2022,
//             CSTO_AMQP_URL=amqp://... plus CSTO_OPERATOR_TOKEN=<jwt of an operator> (asks bodies to republish one DecisionAdopted)
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTOS = process.env.CSTO_PROTOS || path.resolve(__dirname, '../../../protos');
const load = (files) => grpc.loadPackageDefinition(protoLoader.loadSync(files, {
  includeDirs: [PROTOS], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true,
}));
const api = load(['csto/membership/v1/membership_service.proto', 'csto/bodies/v1/bodies_service.proto', 'csto/eventlog/v1/event_log_service.proto']);

const token = process.env.CSTO_TOKEN;
const auth = () => { const m = new grpc.Metadata(); m.set('authorization', `Bearer ${token}`); return m; };
const call = (client, method, request, metadata = auth()) =>
  new Promise((resolve, reject) => client[method](request, metadata, (err, res) => (err ? reject(err) : resolve(res))));
const iso = (d) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

// protobufjs root over the same protos, to decode bytes (status details, event bodies)
const pbjs = require('protobufjs');
const root = new pbjs.Root();
root.resolvePath = (_origin, target) => path.join(PROTOS, target);
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto', 'csto/bodies/v1/events.proto'], { keepCase: true });

function decodeStatus(err) {
  const bin = err.metadata && err.metadata.get('grpc-status-details-bin')[0];
  if (!bin) return { message: err.details, details: [] };
  const status = root.lookupType('google.rpc.Status').decode(bin);
  const details = status.details.map((any) => {
    const name = any.type_url.split('/').pop();
    return { type: name, value: root.lookupType(name).toObject(root.lookupType(name).decode(any.value)) };
  });
  return { code: status.code, message: status.message, details };
}

async function main() {
  const membership = new api.csto.membership.v1.MembershipService(process.env.CSTO_MEMBERSHIP, grpc.credentials.createInsecure());
  const bodies = new api.csto.bodies.v1.BodiesService(process.env.CSTO_BODIES, grpc.credentials.createInsecure());

  const [y, m, d] = (process.env.CSTO_AS_OF || '2013-01-01').split('-').map(Number);
  const roster = await call(membership, 'GetRoster', { as_of: { year: y, month: m, day: d } });
  console.log(`roster on ${iso(roster.as_of)}: ${roster.entries.map((e) => `${e.state} (${e.status.replace('MEMBER_STATUS_', '').toLowerCase()})`).join(', ')}`);

  const name = process.env.CSTO_DECISION || 'decisions/kazakhstan-2022';
  const { decision } = await call(bodies, 'GetDecision', { name });
  console.log(`${decision.name}: ${decision.title} (${decision.rule.replace('DECISION_RULE_', '').toLowerCase()}, effective ${iso(decision.effective_date)})`);
  for (const p of decision.positions) console.log(`  ${p.state}: ${p.position.replace('POSITION_', '').toLowerCase()}`);

  try {
    await call(membership, 'GetMemberState', { state: 'KAS' });
    throw new Error('KAS was accepted');
  } catch (err) {
    if (!err.metadata) throw err;
    const status = decodeStatus(err);
    console.log(`error ${grpc.status[err.code]}: ${err.details}`);
    for (const detail of status.details) console.log(`  ${detail.type}: ${JSON.stringify(detail.value)}`);
  }

  try {
    await call(membership, 'GetRoster', {}, new grpc.Metadata()); // no token
    throw new Error('a call without a token was answered');
  } catch (err) {
    if (!err.metadata) throw err;
    console.log(`error ${grpc.status[err.code]}: ${err.details} (${decodeStatus(err).details.map((d) => d.value.reason).join(', ')})`);
  }

  if (process.env.CSTO_AMQP_URL) await consumeDecisionAdopted(bodies);
}

// Binds a queue of its own to the DecisionAdopted exchange, asks bodies (as an operator) to publish one adopted decision
// again, and decodes the first message with the protos: the body is the event, the headers the record's other fields.
async function consumeDecisionAdopted(bodies) {
  const amqp = require('amqplib');
  const connection = await amqp.connect(process.env.CSTO_AMQP_URL);
  try {
    const channel = await connection.createChannel();
    const exchange = 'csto.bodies.v1.DecisionAdopted';
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, '');
    const received = new Promise((resolve) => channel.consume(queue, (msg) => resolve(msg), { noAck: true }));

    const operator = new grpc.Metadata();
    operator.set('authorization', `Bearer ${process.env.CSTO_OPERATOR_TOKEN}`);
    const log = new api.csto.eventlog.v1.EventLogService(process.env.CSTO_BODIES, grpc.credentials.createInsecure());
    const page = await call(log, 'ListEvents', { from_position: 1, filter: { event_types: [exchange] }, page_size: 1 });
    const position = page.records[0].position;
    await call(log, 'Republish', { from_position: position, to_position: position }, operator);

    const msg = await Promise.race([received, new Promise((_, reject) => setTimeout(() => reject(new Error('no DecisionAdopted within 30 s')), 30000))]);
    const headers = msg.properties.headers;
    const event = root.lookupType(exchange).decode(msg.content);
    console.log(`amqp ${headers['csto-type']} #${headers['csto-position']} from ${headers['csto-source']} (${msg.properties.contentType}): ` +
      `${event.decision} "${event.title}", bound: ${event.bound_states.join(' ')}`);
    await channel.close();
  } finally {
    await connection.close();
  }
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
