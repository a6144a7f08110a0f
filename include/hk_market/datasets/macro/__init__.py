"""macro: the market's drivers, daily closes of Bitcoin, the US dollar index, gold and USD/CNH."""
