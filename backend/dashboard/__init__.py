"""The owner's dashboard: the day against yesterday and last week, sales over a range by channel and
payment method, top products and customers, receivables aging, stock alerts, WeChat reconciliation.

Every figure is read from the journal and the ledgers (`yecai check` trusts the same rows). Closed
business days are rolled up once into small per-day tables (`rollup.py`), checked against the journal
by `yecai check`; the open day is read from the journal itself.
"""
