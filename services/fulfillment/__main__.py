"""`python -m services.fulfillment`: run the fulfilment service."""

from services.fulfillment.app import FulfillmentSettings, create_fulfillment_app
from shared.service import serve

if __name__ == "__main__":
    settings = FulfillmentSettings()
    serve(create_fulfillment_app(settings), settings)
