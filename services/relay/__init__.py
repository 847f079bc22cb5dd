"""The outbox relay: the store's notification log, published to JetStream after its position."""
