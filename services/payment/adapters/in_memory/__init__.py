"""The payment application's ports in memory, on the kernel's `InMemoryDatabase` (the fast tier,
tests/fast): the same rules as the PostgreSQL adapters, without a server."""
