"""The reporting read model for procurement officers and management (pipeline, offers, ceilings)."""
