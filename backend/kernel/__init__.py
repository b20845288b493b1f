"""The shared kernel: the catalog (categories, products, SKUs), warehouses, customers and orders.

Store owns what happens to these rows (placing, paying, cancelling an order); inventory, receivables,
payments and reports refer to them (stock per SKU, an invoice per order, a payment per customer).
Their models live here, below every domain, so that those references do not make back-office
domains import `store`. Only models and their constants belong here, never business events.
"""
