"""What every upstream shares: HTTP with timeouts and backoff (http), Yahoo Finance downloads (yahoo), and how a
fetch fails (errors)."""
