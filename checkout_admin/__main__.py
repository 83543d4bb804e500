"""`python -m checkout_admin` (also installed as `checkout-admin`)."""

import sys

from checkout_admin.cli import main

sys.exit(main())
