"""`python -m services.cart`: serve `bootstrap.create_app` with the environment's `Settings`."""

from services.cart.bootstrap import create_app
from services.cart.settings import Settings
from shared.service import serve

if __name__ == "__main__":
    settings = Settings()
    serve(create_app(settings), settings)
