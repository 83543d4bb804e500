"""`make demo`: the seed's six steps against a running stack, step by step."""
