"""What a run publishes from the marts: the day's figures (report), the market wrap (wrap, its templates) and its
charts (charts)."""
