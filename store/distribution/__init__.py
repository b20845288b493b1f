"""Selling to distributors: customer grades, price lists with quantity breaks, trade terms (minimum
order quantity, case multiples), favourites and quick reorder. The price of a line is decided in
`store.pricing`; this package keeps the lists and their save-time rules."""
