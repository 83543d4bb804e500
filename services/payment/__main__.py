"""`python -m services.payment`: run the payment service (HTTP_PORT, DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS,
STRIPE_API_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET, PAYMENT_ALLOCATION_TIMEOUT_SECONDS...)."""

from services.payment.app import create_payment_app
from services.payment.settings import PaymentSettings
from shared.service import serve

if __name__ == "__main__":
    settings = PaymentSettings()
    serve(create_payment_app(settings), settings)
