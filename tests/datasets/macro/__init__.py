"""The macro dataset: the market's drivers."""
