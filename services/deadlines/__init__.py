"""The deadline watcher: appends the date-driven events when their day has passed (brief §4.5)."""
