"""Stock Connect southbound turnover per channel, from HKEX's daily statistics file."""
