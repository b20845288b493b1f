"""Receipts and delivery notes for the counter's thermal printer (58 or 80 mm, ESC/POS).

A print is a business event like any other: `services.print_order` lays out the document from the
order in one transaction, keeps it on a `PrintJob` row and writes an outbox row; after commit the
`printing.send` job encodes it as ESC/POS (Chinese in GB18030, as Chinese printers expect) and sends
it to the printer configured (raw TCP, port 9100, or a cloud printer over HTTPS).

Delivery is at most once: a printer cannot be asked whether it printed, and a second copy of a
receipt could pass for a second sale, so an attempt is committed as started before the bytes go out
and an interrupted one is flagged for a person (`yecai check`), who reprints if it is missing.
"""
