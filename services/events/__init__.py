"""Published events: data models per event type and version, the CloudEvents envelope, schemas."""
