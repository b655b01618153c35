"""The class store's tables (SQLAlchemy Core): classes, votes, reveals and pushes."""

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text

MAX_LEARNER_CHARS = 32
MAX_QUESTION_CHARS = 40

metadata = MetaData()
classes = Table(
    "classes", metadata,
    Column("code", String(8), primary_key=True),
    Column("key_digest", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("wait_for_reveal", Boolean, nullable=False),
    Column("pushes", Integer, nullable=False, default=0),  # the last push's number
)
votes = Table(
    "votes", metadata,
    Column("code", String(8), primary_key=True),
    Column("question", String(MAX_QUESTION_CHARS), primary_key=True),
    Column("learner", String(MAX_LEARNER_CHARS), primary_key=True),
    Column("choice", Integer, nullable=False),  # index into the question's options
    Column("at", Float, nullable=False),
)
reveals = Table(
    "reveals", metadata,
    Column("code", String(8), primary_key=True),
    Column("question", String(MAX_QUESTION_CHARS), primary_key=True),
    Column("at", Float, nullable=False),
)
pushes = Table(
    "pushes", metadata,
    Column("code", String(8), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("page", String(MAX_QUESTION_CHARS), nullable=False),
    Column("params", Text, nullable=False),  # JSON: control key -> its value as a link writes it
    Column("label", String(400), nullable=False),
    Column("at", Float, nullable=False),
)
