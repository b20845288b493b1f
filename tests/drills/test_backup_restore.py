"""pg_dump while sales run, restored into a fresh database: `yecai check` is clean there, and it
holds every sale answered before the dump began and none sent after it ended (deploy/BACKUP.md)."""

from __future__ import annotations

import subprocess
import time

from tests.drills.conftest import REPORT
from tests.drills.shop import Drill, Load


def test_dump_while_selling_restores_clean_books(drill: Drill) -> None:
    node = drill.node(workers=2, threads=2)
    drill.worker()
    dump = drill.folder / "yecai.dump"
    with Load(drill, node.base_url, clients=4) as load:
        time.sleep(2)
        dump_began = time.monotonic()
        subprocess.run(
            [drill.pg.program("pg_dump"), "-Fc", "-h", "127.0.0.1", "-p", str(drill.pg.port), "-U", "postgres",
             "-f", str(dump), drill.database],
            check=True, timeout=120,
        )  # fmt: skip
        dump_ended = time.monotonic()
        time.sleep(1)
    restored = f"{drill.database}_restored"
    drill.pg.create_database(restored)
    subprocess.run(
        [drill.pg.program("pg_restore"), "--no-owner", "--exit-on-error", "-h", "127.0.0.1", "-p", str(drill.pg.port),
         "-U", "postgres", "-d", restored, str(dump)],
        check=True, timeout=120,
    )  # fmt: skip

    answered = [a for a in load.answers if a.status == 201]
    before = {a.body["id"] for a in answered if a.answered_at < dump_began}
    after = {a.body["id"] for a in answered if a.sent_at > dump_ended}
    kept = {row[0] for row in drill.pg.execute("SELECT id FROM sales_order", restored)}
    live = {row[0] for row in drill.sql("SELECT id FROM sales_order")}
    REPORT.append(
        f"pg_dump during {len(answered)} sales: {len(kept)} orders in the dump ({len(before)} answered before it "
        f"began, {len(after)} sent after it ended), {load.tally.summary()}"
    )
    assert before and after
    assert before <= kept and not (after & kept) and kept <= live
    assert live == {a.body["id"] for a in answered}
    rows = "SELECT id, status, total_fen, paid_fen FROM sales_order ORDER BY id"
    assert drill.pg.execute(rows, restored) == [r for r in drill.sql(rows) if r[0] in kept]  # as they were
    for table in ("journal_entry", "stock_move", "payment_record", "idempotency_record"):
        assert drill.pg.execute(f"SELECT count(*) FROM {table}", restored)[0][0] <= drill.scalar(
            f"SELECT count(*) FROM {table}"
        )
    status, report = drill.check()
    assert status == 0, report
    env = drill.env() | {"YECAI_DATABASE_URL": drill.pg.url(restored)}
    from tests.drills.stack import yecai_check

    status, report = yecai_check(env)
    assert status == 0, report
