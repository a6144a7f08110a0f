"""What every upstream shares: HTTP with timeouts and backoff (http), and how a fetch fails (errors)."""
