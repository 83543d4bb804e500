"""`python -m services.order`: serve `bootstrap.create_app` with the environment's `Settings`."""

from services.order.bootstrap import create_app
from services.order.settings import Settings
from shared.service import serve

if __name__ == "__main__":
    settings = Settings()
    serve(create_app(settings), settings)
