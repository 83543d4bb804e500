"""The order service's domain: the order aggregate and its status rules. Pure, no I/O."""
