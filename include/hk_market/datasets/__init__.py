"""One folder per dataset, all the same shape: schema (the landing frame's columns), parse (the upstream's shape
into that frame), live and sample (each source's fetch of the upstream's shape), rules (its quality suite).
hk_market.registry lists them."""
