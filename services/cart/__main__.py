"""`python -m services.cart`: run the cart service (HTTP_PORT, DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS...)."""

from services.cart.app import CartSettings, create_cart_app
from shared.service import serve

if __name__ == "__main__":
    settings = CartSettings()
    serve(create_cart_app(settings), settings)
