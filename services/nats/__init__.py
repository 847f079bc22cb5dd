"""NATS JetStream adapters: the embedded nats-server and the CONTRACTING stream."""
