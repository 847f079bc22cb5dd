"""``care-contracts demo``: a realistic 2027 contracting season played through the HTTP API."""
