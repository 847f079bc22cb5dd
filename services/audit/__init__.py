"""Reading the store as an auditor: an aggregate's history, JSON Lines export, chain verification.

Nothing here writes: the audit functions read the notification log, the hash chain and the event
rows through the store's recorder and replay aggregates from their events only (never snapshots,
which are outside the chain).
"""
