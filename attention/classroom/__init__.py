"""Classroom mode without Streamlit: classes, the room's votes, reveals and pushed views in
one store (SQLite by default, PostgreSQL when ATTENTION_DATABASE_URL is set), the codes and
keys that open a class, the per-session rate limit, and a learner's session summary.

    from attention.classroom import open_store
    store = open_store({"causal": 4})          # question -> number of options
    info, key = store.create_class()           # info.code for learners, key for the instructor
    store.vote(info.code, "causal", "learner1", 2)
    store.tally(info.code, "causal")           # [0, 0, 1, 0]
"""

from attention.classroom.codes import ALPHABET, CODE_LENGTH, new_code, normalise_code
from attention.classroom.database import data_dir, database_url
from attention.classroom.limits import Bounds, RateLimit
from attention.classroom.store import (
    ClassInfo,
    Push,
    Refused,
    Store,
    open_store,
)
from attention.classroom.summary import Answered, View, markdown, remember

__all__ = ["ALPHABET", "CODE_LENGTH", "Answered", "Bounds", "ClassInfo", "Push", "RateLimit",
           "Refused", "Store", "View", "data_dir", "database_url", "markdown", "new_code",
           "normalise_code", "open_store", "remember"]
