"""Personal data under per-subject keys (crypto-shredding): see README "Privacy"."""
