"""The macro dataset's landing schema: for each HKEX session, each driver's latest close on or before it.

The drivers trade on calendars of their own: Bitcoin (BTC-USD) every calendar day, the US dollar index
(DX-Y.NYB, ICE) and gold futures (GC=F, COMEX) on US trading days, USD/CNH (CNH=X) on weekdays. A session
takes each one's latest close on or before its date (so on a US holiday the dollar index and gold keep the
previous US day's close), and the close before that one, its own previous trading day's, for the day's move.
"""

# Yahoo Finance ticker -> its name in the wrap, in the order the wrap cites them.
INSTRUMENTS = {
    "DX-Y.NYB": "US dollar index",
    "GC=F": "Gold (US$/oz)",
    "BTC-USD": "Bitcoin (US$)",
    "CNH=X": "USD/CNH",
}
LANDING_SCHEMA = {
    "trade_date": "datetime64[s]",   # the HKEX session
    "instrument": "string",          # the Yahoo Finance ticker, one of INSTRUMENTS
    "close_date": "datetime64[s]",   # the instrument's own trading day whose close this is, on or before trade_date
    "close": "float64",              # in the instrument's unit: US$ (Bitcoin, gold an ounce), index points, CNH per US$
    "prev_close": "float64",         # its close on its own trading day before close_date
}
