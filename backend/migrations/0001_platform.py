"""Platform tables: users and sessions, audit log, idempotency records, outbox."""

import datetime

from peewee import *


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        role = CharField(max_length=16, index=True)
        display_name = CharField(max_length=64, default="")
        username = CharField(max_length=64, null=True, unique=True)
        phone = CharField(max_length=20, null=True, unique=True)
        password_hash = CharField(max_length=255, null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        disabled_at = DateTimeField(null=True)

        class Meta:
            table_name = "app_user"

    class WechatIdentity(Base):
        openid = CharField(max_length=64, unique=True)
        unionid = CharField(max_length=64, null=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        session_key = CharField(max_length=128, default="")
        created_at = DateTimeField(default=datetime.datetime.now)
        last_login_at = DateTimeField(null=True)

    class AuthToken(Base):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        method = CharField(max_length=16)
        created_at = DateTimeField(default=datetime.datetime.now)
        expires_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        last_used_at = DateTimeField(null=True)

    class AuditEntry(Base):
        actor_id = IntegerField(null=True, index=True)
        action = CharField(max_length=64, index=True)
        target_type = CharField(max_length=32, default="")
        target_id = CharField(max_length=64, default="")
        detail = TextField(default="{}")
        at = DateTimeField(default=datetime.datetime.now, index=True)

    class IdempotencyRecord(Base):
        scope = CharField(max_length=64)
        key = CharField(max_length=255)
        request_hash = CharField(max_length=64)
        status_code = IntegerField()
        response_body = TextField()
        created_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("scope", "key"), True),)

    class OutboxMessage(Base):
        job = CharField(max_length=64)
        payload = TextField(default="{}")
        dedupe_key = CharField(max_length=128, null=True, unique=True)
        status = CharField(max_length=12, default="pending")
        attempts = IntegerField(default=0)
        run_after = DateTimeField(default=datetime.datetime.now)
        enqueued_at = DateTimeField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)
        done_at = DateTimeField(null=True)
        last_error = TextField(default="")

        class Meta:
            indexes = ((("status", "run_after"), False),)

    db.create_tables([User, WechatIdentity, AuthToken, AuditEntry, IdempotencyRecord, OutboxMessage])
