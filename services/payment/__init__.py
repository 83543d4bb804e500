"""The payment service: Elastic Path's payments and transactions, with the manual gateway and Stripe.

`python -m services.payment` serves `POST /v2/orders/{id}/payments`,
`/v2/orders/{id}/transactions[/{tid}[/confirm|/capture|/refund|/cancel]]` and Stripe's webhooks at
`POST /v2/webhooks/stripe`. It learns orders from `CartCheckedOut` / `OrderCancelled`, asks
inventory to allocate stock (`StockAllocationRequested`, answered by `StockAllocated` /
`StockAllocationFailed`) before any money moves, and publishes `PaymentAuthorized`,
`PaymentCaptured`, `PaymentFailed`, `PaymentRefunded` and `PaymentCancelled`, keyed by order id.
Settings: `services.payment.settings`. Test hook: `adapters.gateways.faults`.
"""
