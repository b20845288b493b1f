"""Documents to download: PDF (`pdf.py`) and Excel (`xlsx.py`) from plain rows.

Generic and free of any domain: a caller (aging, statements) gives a title, header lines and
tables of rows; money is given in fen and shown in yuan to the fen. Each function returns bytes.
"""
