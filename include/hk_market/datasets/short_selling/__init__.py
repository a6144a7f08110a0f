"""HKEX daily short selling turnover per stock, from HKEX's day-close report (or, live, for a session before the
latest, the short selling section of its Daily Quotations)."""
