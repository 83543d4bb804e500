"""Start and stop the real servers the platform needs (Kafka, PostgreSQL, localstripe) without Docker.

Import from the submodules: ``devstack.stack.Stack`` for the whole set, ``devstack.kafka.KafkaCluster``,
``devstack.postgres.PostgresServer`` and ``devstack.fake_stripe.LocalStripeServer`` for single servers,
``devstack.apps`` for the platform's own processes on top (every service and the nginx gateway).
This package module stays empty so that ``python -m devstack.localstripe_server`` starts quickly.
"""
