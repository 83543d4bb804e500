"""`python -m services.order`: run the order service (HTTP_PORT, DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS...)."""

from services.order.app import create_order_app
from services.order.service import OrderSettings
from shared.service import serve

if __name__ == "__main__":
    settings = OrderSettings()
    serve(create_order_app(settings), settings)
