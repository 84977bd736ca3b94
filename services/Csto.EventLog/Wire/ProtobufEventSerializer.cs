using System.Net.Mime;
using System.Runtime.Serialization;
using Csto.EventLog.V1;
using MassTransit;
using MassTransit.Serialization;

namespace Csto.EventLog.Wire;

/// <summary>
/// MassTransit serializer for <see cref="EventRecord"/>: the body is the protobuf event itself (no
/// MassTransit envelope) and the record's fields travel as headers (<see cref="WireHeaders"/>).
/// </summary>
public sealed class ProtobufEventSerializer : IMessageSerializer, IMessageDeserializer, ISerializerFactory
{
    public static readonly ProtobufEventSerializer Instance = new();
    static readonly ContentType Protobuf = new(WireHeaders.ContentType);

    public ContentType ContentType => Protobuf;

    public MessageBody GetMessageBody<T>(SendContext<T> context)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Message is EventRecord record
            ? new BytesMessageBody(record.Data.ToByteArray())
            : throw new SerializationException($"only {nameof(EventRecord)} goes on the wire as protobuf, not {typeof(T).Name}");
    }

    public void Probe(ProbeContext context) => context?.CreateScope("csto-protobuf").Add("contentType", ContentType.MediaType);

    public ConsumeContext Deserialize(ReceiveContext receiveContext)
    {
        ArgumentNullException.ThrowIfNull(receiveContext);
        return new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));
    }

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(headers);
        try
        {
            var record = WireHeaders.ToRecord(name => headers.Get<string>(name), body.GetBytes());
            return new RecordSerializerContext(new RawMessageContext(headers, destinationAddress, RawSerializerOptions.Default), record);
        }
        catch (Exception ex) when (ex is not SerializationException)
        {
            // never retried: the error queue's reason says what is wrong with the message
            throw new Inbox.PoisonMessageException(Inbox.PoisonMessageException.NotACstoEvent, ex.Message);
        }
    }

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);

    public IMessageSerializer CreateSerializer() => this;

    public IMessageDeserializer CreateDeserializer() => this;

    sealed class RecordSerializerContext(MessageContext context, EventRecord record)
        : BaseSerializerContext(SystemTextJsonMessageSerializer.Instance, context, [MessageUrn.ForTypeString<EventRecord>()])
    {
        public override bool TryGetMessage<T>(out T? message)
            where T : class
        {
            message = record as T;
            return message is not null;
        }

        public override bool TryGetMessage(Type messageType, out object message)
        {
            ArgumentNullException.ThrowIfNull(messageType);
            message = record;
            return messageType.IsInstanceOfType(record);
        }

        public override IMessageSerializer GetMessageSerializer() => Instance;

        public override IMessageSerializer GetMessageSerializer<T>(MessageEnvelope envelope, T message) => Instance;

        public override IMessageSerializer GetMessageSerializer(object message, string[] messageTypes) => Instance;

        public override Dictionary<string, object> ToDictionary<T>(T? message)
            where T : class => [];
    }
}
