"""`python -m services.inventory`: run the inventory service (INVENTORY_POLICY, ...)."""

from services.inventory.service import InventorySettings, create_inventory_app
from shared.service import serve

if __name__ == "__main__":
    settings = InventorySettings()
    serve(create_inventory_app(settings), settings)
