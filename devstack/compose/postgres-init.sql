-- docker compose: one database per service (DESIGN.md: no service reads another's tables).
-- Run by the postgres image on the first start of an empty volume; `make run` creates the same
-- databases itself (devstack.apps.SERVICES). "order" is a reserved word, hence the quotes.
CREATE DATABASE "cart";
CREATE DATABASE "order";
CREATE DATABASE "payment";
CREATE DATABASE "inventory";
CREATE DATABASE "fulfillment";
-- The personal-data key table every service shares (shared/privacy/key_store.py; devstack.apps.PRIVACY_DATABASE).
CREATE DATABASE "privacy";
