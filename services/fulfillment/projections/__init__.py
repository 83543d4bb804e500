"""Read models of the fulfilment service."""
