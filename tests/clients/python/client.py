#!/usr/bin/env python3
"""A Python client of the CSTO suite from protos/ alone: reads the roster on a date, follows a decision's positions and
decodes an error's details (google.rpc.Status in the grpc-status-details-bin trailer).

The messages come from a descriptor set built from protos/ (no generated code to keep in step):
    protoc -I protos --include_imports --descriptor_set_out=csto.binpb $(cd protos && find csto google -name '*.proto')
    # or: (cd protos && npx @bufbuild/buf build -o ../csto.binpb)
    CSTO_DESCRIPTORS=csto.binpb CSTO_MEMBERSHIP=127.0.0.1:5101 CSTO_BODIES=127.0.0.1:5102 CSTO_TOKEN=<jwt> python3 client.py
Needs grpcio and protobuf (Debian: apt-get install python3-grpcio python3-protobuf).
"""
import json
import os
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

pool = descriptor_pool.DescriptorPool()
for file in descriptor_pb2.FileDescriptorSet.FromString(open(os.environ["CSTO_DESCRIPTORS"], "rb").read()).file:
    pool.Add(file)  # --include_imports lists dependencies first


def message(full_name):
    descriptor = pool.FindMessageTypeByName(full_name)
    get = getattr(message_factory, "GetMessageClass", None)
    return get(descriptor) if get else message_factory.MessageFactory(pool).GetPrototype(descriptor)


def stub(channel, service, method):
    """A unary call of service.method typed by the descriptors (what generated stubs do)."""
    desc = pool.FindServiceByName(service).FindMethodByName(method)
    request, response = message(desc.input_type.full_name), message(desc.output_type.full_name)
    call = channel.unary_unary(f"/{service}/{method}", request_serializer=lambda m: m.SerializeToString(), response_deserializer=response.FromString)
    return lambda metadata, **fields: call(request(**fields), metadata=metadata)


def enum_name(msg, field, prefix):
    value = getattr(msg, field)
    return msg.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number[value].name.removeprefix(prefix).lower()


def iso(d):
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def decode_status(error):
    """The google.rpc.Status of a failed call, with its details unpacked by their type URL."""
    trailer = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if trailer is None:
        return error.details(), []
    status = message("google.rpc.Status").FromString(trailer)
    return status.message, [(any_.type_url.split("/")[-1], message(any_.type_url.split("/")[-1]).FromString(any_.value)) for any_ in status.details]


def main():
    metadata = [("authorization", f"Bearer {os.environ['CSTO_TOKEN']}")]
    Date = message("csto.common.v1.Date")
    with grpc.insecure_channel(os.environ["CSTO_MEMBERSHIP"]) as membership, grpc.insecure_channel(os.environ["CSTO_BODIES"]) as bodies:
        year, month, day = (int(x) for x in os.environ.get("CSTO_AS_OF", "2013-01-01").split("-"))
        roster = stub(membership, "csto.membership.v1.MembershipService", "GetRoster")(metadata, as_of=Date(year=year, month=month, day=day))
        entries = ", ".join(f"{e.state} ({enum_name(e, 'status', 'MEMBER_STATUS_')})" for e in roster.entries)
        print(f"roster on {iso(roster.as_of)}: {entries}")

        name = os.environ.get("CSTO_DECISION", "decisions/kazakhstan-2022")
        decision = stub(bodies, "csto.bodies.v1.BodiesService", "GetDecision")(metadata, name=name).decision
        print(f"{decision.name}: {decision.title} ({enum_name(decision, 'rule', 'DECISION_RULE_')}, effective {iso(decision.effective_date)})")
        for p in decision.positions:
            print(f"  {p.state}: {enum_name(p, 'position', 'POSITION_')}")

        try:
            stub(membership, "csto.membership.v1.MembershipService", "GetMemberState")(metadata, state="KAS")
            sys.exit("KAS was accepted")
        except grpc.RpcError as error:
            text, details = decode_status(error)
            print(f"error {error.code().name}: {error.details()}")
            for type_name, detail in details:
                print(f"  {type_name}: {json.dumps(json_format.MessageToDict(detail, preserving_proto_field_name=True))}")


if __name__ == "__main__":
    main()
