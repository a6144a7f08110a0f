"""HKEX's published pages, where more than one dataset reads them: how HKEX prints dates and figures, the Daily
Quotations report (turnover for prices, short selling for earlier sessions) and the live download of HKEX's pages."""
