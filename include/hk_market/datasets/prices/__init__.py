"""Daily bars for securities and the three indices (yfinance's frame), with HKEX's printed turnover from its Daily
Quotations."""
