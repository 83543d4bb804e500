"""`python -m services.inventory`: serve `bootstrap.create_app` with the environment's `Settings`."""

from services.inventory.bootstrap import create_app
from services.inventory.settings import Settings
from shared.service import serve

if __name__ == "__main__":
    settings = Settings()
    serve(create_app(settings), settings)
