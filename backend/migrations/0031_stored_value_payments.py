"""Payments from a member's stored-value balance are money records of their own method,
`stored_value` (booked against 2203 预收账款): widen the CHECK on payment.method.

PostgreSQL swaps the constraint. SQLite cannot alter a CHECK; widening one changes no stored row,
so the table's schema text is edited in place under `writable_schema` (the procedure SQLite's
ALTER TABLE documentation gives for CHECK changes) instead of rebuilding a table other ledgers
reference.
"""

from peewee import PostgresqlDatabase

OLD = "'bank_transfer')"
NEW = "'bank_transfer', 'stored_value')"
ALLOWED = "('cash', 'wechat', 'bank_transfer', 'stored_value')"
BEFORE = "('cash', 'wechat', 'bank_transfer')"


def _swap(db, old_values: str, new_values: str, old_text: str, new_text: str) -> None:
    if isinstance(db, PostgresqlDatabase):
        rows = db.execute_sql(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'payment'::regclass AND contype = 'c' "
            "AND pg_get_constraintdef(oid) LIKE %s",
            ("%method%",),
        ).fetchall()
        for (name,) in rows:
            db.execute_sql(f'ALTER TABLE payment DROP CONSTRAINT "{name}"')
        db.execute_sql(
            f"ALTER TABLE payment ADD CONSTRAINT payment_method_check CHECK (method IN {new_values})"
        )
        return
    (sql,) = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'payment'"
    ).fetchone()
    if old_text not in sql:
        raise RuntimeError(f"payment.method CHECK not found in {sql!r}")
    (version,) = db.execute_sql("PRAGMA schema_version").fetchone()
    db.execute_sql("PRAGMA writable_schema = ON")
    db.execute_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'payment'",
        (sql.replace(old_text, new_text, 1),),
    )
    db.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    db.execute_sql("PRAGMA writable_schema = OFF")


def up(migrator, db):
    _swap(db, BEFORE, ALLOWED, OLD, NEW)


def down(migrator, db):
    _swap(db, ALLOWED, BEFORE, NEW, OLD)
