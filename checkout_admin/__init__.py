"""`checkout-admin`: the operator's tool for a live stack (projections, replay, dead letters, streams)."""
