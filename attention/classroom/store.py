"""The class store: classes, votes, reveals and pushes, in SQLite or PostgreSQL.

One small interface (`Store`) over the SQLAlchemy Core tables of `tables.py`. SQLite is the
default (a file in the data folder, in WAL mode, so the workshop's several server processes
on one machine share it; writes take the lock up front with BEGIN IMMEDIATE and wait for it
rather than fail); PostgreSQL when `ATTENTION_DATABASE_URL` is set (replicas on Kubernetes).
Every method is one short transaction, safe from several processes at once.

Votes are checked against the catalogue of questions the store is given (question -> number
of options): a vote for an unknown question, an option out of range, a class that does not
exist or has ended, or a question already revealed is refused (`Refused`) and changes
nothing. Classes end after `Bounds.ttl_s` and are deleted by `cleanup()`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import create_engine, delete, func, select, update

from attention.classroom.codes import key_digest, key_matches, new_code, new_key, normalise_code
from attention.classroom.database import database_url, sqlite_engine, upsert
from attention.classroom.limits import Bounds
from attention.classroom.tables import (
    MAX_LEARNER_CHARS,
    MAX_QUESTION_CHARS,
    classes,
    metadata,
    pushes,
    reveals,
    votes,
)


class Refused(ValueError):
    """A request the store turns down, changing nothing; its message can be shown as is."""


@dataclass(frozen=True)
class ClassInfo:
    code: str
    created_at: float
    expires_at: float
    wait_for_reveal: bool  # learners see an answer only once the instructor reveals it


@dataclass(frozen=True)
class Push:
    """A view the instructor sent: a page and its controls' values."""

    seq: int
    page: str
    params: dict[str, str] = field(default_factory=dict)
    label: str = ""
    at: float = 0.0


class Store:
    """Classes, votes, reveals and pushes; every method one transaction.

    Args:
        url: a SQLAlchemy URL (`sqlite:///path`, `postgresql+psycopg://...`); None: from
            the environment (`database_url()`).
        questions: question id -> how many options it has; votes are checked against it.
        bounds: the table bounds and the classes' lifetime.
        clock: seconds since the epoch (a test moves it to expire classes).
    """

    def __init__(self, url: str | None, questions: Mapping[str, int],
                 bounds: Bounds | None = None, clock: Callable[[], float] = time.time):
        self.url = url or database_url()
        self.questions = dict(questions)
        self.bounds = bounds or Bounds()
        self.clock = clock
        if self.url.startswith("sqlite"):
            self.engine = sqlite_engine(self.url)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=2, max_overflow=4)
        self._write = self.engine.execution_options(write=True)
        metadata.create_all(self._write)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ classes

    def create_class(self, wait_for_reveal: bool = True) -> tuple[ClassInfo, str]:
        """A new class and its instructor key (the key is returned once, never stored)."""
        now = self.clock()
        self.cleanup()
        key = new_key()
        with self._write.begin() as c:
            live = c.execute(select(func.count()).select_from(classes)
                             .where(classes.c.expires_at > now)).scalar_one()
            if live >= self.bounds.max_classes:
                raise Refused("Too many classes are running on this server; try again later.")
            for _ in range(20):  # a clash is one in millions; retry rather than fail
                code = new_code()
                if c.execute(select(classes.c.code).where(classes.c.code == code)).first() is None:
                    break
            else:
                raise Refused("Could not find a free class code; try again.")
            info = ClassInfo(code, now, now + self.bounds.ttl_s, bool(wait_for_reveal))
            c.execute(classes.insert().values(code=code, key_digest=key_digest(key),
                                              created_at=now, expires_at=info.expires_at,
                                              wait_for_reveal=info.wait_for_reveal, pushes=0))
        return info, key

    def get_class(self, code: object) -> ClassInfo | None:
        """The live class of `code` (typed or linked in any case), or None: no such class,
        or it has ended."""
        code = normalise_code(code)
        if code is None:
            return None
        with self.engine.connect() as c:
            row = c.execute(select(classes).where(classes.c.code == code,
                                                  classes.c.expires_at > self.clock())).first()
        if row is None:
            return None
        return ClassInfo(row.code, row.created_at, row.expires_at, bool(row.wait_for_reveal))

    def is_instructor(self, code: object, key: object) -> bool:
        """Whether `key` is the instructor key of the live class `code` (constant time)."""
        code = normalise_code(code)
        if code is None:
            return False
        with self.engine.connect() as c:
            digest = c.execute(select(classes.c.key_digest).where(
                classes.c.code == code, classes.c.expires_at > self.clock())).scalar()
        return digest is not None and key_matches(key, digest)

    def _instructor(self, code: object, key: object) -> str:
        code_n = normalise_code(code)
        if code_n is None or not self.is_instructor(code_n, key):
            raise Refused("Only the class's instructor can do this.")
        return code_n

    def set_wait_for_reveal(self, code: str, key: str, wait: bool) -> None:
        code = self._instructor(code, key)
        with self._write.begin() as c:
            c.execute(update(classes).where(classes.c.code == code)
                      .values(wait_for_reveal=bool(wait)))

    # ------------------------------------------------------------ votes and reveals

    def _live(self, c, code: object) -> str:
        code_n = normalise_code(code)
        if code_n is None or c.execute(select(classes.c.code).where(
                classes.c.code == code_n, classes.c.expires_at > self.clock())).first() is None:
            raise Refused("This class does not exist or has ended.")
        return code_n

    def vote(self, code: object, question: object, learner: object, choice: object) -> None:
        """Record (or change) `learner`'s answer to `question`: the option index `choice`.

        Raises:
            Refused: an unknown question, an option out of range, a bad learner id, a class
                that does not exist or has ended, a revealed question, or a full class;
                nothing is written then.
        """
        if not isinstance(question, str) or question not in self.questions:
            raise Refused("No such question.")
        if (not isinstance(choice, int) or isinstance(choice, bool)
                or not 0 <= choice < self.questions[question]):
            raise Refused("No such option.")
        if (not isinstance(learner, str) or not learner or len(learner) > MAX_LEARNER_CHARS
                or not learner.isalnum()):
            raise Refused("Not a learner of this class.")
        now = self.clock()
        with self._write.begin() as c:
            code = self._live(c, code)
            if c.execute(select(reveals.c.at).where(reveals.c.code == code,
                                                     reveals.c.question == question)).first():
                raise Refused("The answer is revealed: votes on this question are closed.")
            mine = (votes.c.code == code) & (votes.c.question == question) & (votes.c.learner == learner)
            if c.execute(select(votes.c.choice).where(mine)).first() is None:
                held = c.execute(select(func.count()).select_from(votes)
                                 .where(votes.c.code == code)).scalar_one()
                if held >= self.bounds.max_votes_per_class:
                    raise Refused("This class has reached its number of votes.")
            ins = upsert(self.engine, votes).values(code=code, question=question,
                                                     learner=learner, choice=choice, at=now)
            c.execute(ins.on_conflict_do_update(
                index_elements=[votes.c.code, votes.c.question, votes.c.learner],
                set_={"choice": ins.excluded.choice, "at": ins.excluded.at}))

    def tally(self, code: object, question: str) -> list[int]:
        """How many learners chose each option of `question` (zeros for an unknown class)."""
        return self.tallies(code).get(question, [0] * self.questions.get(question, 0))

    def tallies(self, code: object) -> dict[str, list[int]]:
        """Every question's counts per option, in one query."""
        out = {q: [0] * n for q, n in self.questions.items()}
        code = normalise_code(code)
        if code is None:
            return out
        with self.engine.connect() as c:
            rows = c.execute(select(votes.c.question, votes.c.choice, func.count())
                             .where(votes.c.code == code)
                             .group_by(votes.c.question, votes.c.choice)).all()
        for question, choice, n in rows:
            if question in out and 0 <= choice < len(out[question]):
                out[question][choice] = n
        return out

    def vote_of(self, code: object, question: str, learner: str) -> int | None:
        """The option `learner` chose for `question` in this class, or None."""
        code = normalise_code(code)
        if code is None:
            return None
        with self.engine.connect() as c:
            return c.execute(select(votes.c.choice).where(
                votes.c.code == code, votes.c.question == question,
                votes.c.learner == learner)).scalar()

    def reveal(self, code: str, key: str, question: str) -> None:
        """Reveal `question`'s answer to the whole class (the instructor only)."""
        code = self._instructor(code, key)
        if question not in self.questions:
            raise Refused("No such question.")
        ins = upsert(self.engine, reveals).values(code=code, question=question, at=self.clock())
        with self._write.begin() as c:
            c.execute(ins.on_conflict_do_nothing(index_elements=[reveals.c.code, reveals.c.question]))

    def revealed(self, code: object) -> set[str]:
        """The questions revealed in this class."""
        code = normalise_code(code)
        if code is None:
            return set()
        with self.engine.connect() as c:
            return set(c.execute(select(reveals.c.question).where(reveals.c.code == code)).scalars())

    # ------------------------------------------------------------ follow the instructor

    def push(self, code: str, key: str, page: str, params: Mapping[str, str], label: str) -> Push:
        """Send a view to the class (the instructor only); the class keeps its last few."""
        code = self._instructor(code, key)
        if not isinstance(page, str) or len(page) > MAX_QUESTION_CHARS:
            raise Refused("No such page.")
        text = json.dumps({str(k): str(v) for k, v in params.items()}, ensure_ascii=False)
        if len(text) > self.bounds.max_params_chars:
            raise Refused("This view's state is too large to send.")
        label = str(label)[: self.bounds.max_label_chars]
        now = self.clock()
        with self._write.begin() as c:
            seq = c.execute(update(classes).where(classes.c.code == code)
                            .values(pushes=classes.c.pushes + 1)
                            .returning(classes.c.pushes)).scalar_one()
            c.execute(pushes.insert().values(code=code, seq=seq, page=page, params=text,
                                             label=label, at=now))
            c.execute(delete(pushes).where(pushes.c.code == code,
                                           pushes.c.seq <= seq - self.bounds.max_pushes_kept))
        return Push(seq, page, json.loads(text), label, now)

    def latest_push(self, code: object) -> Push | None:
        """The last view the instructor sent to this class, or None."""
        code = normalise_code(code)
        if code is None:
            return None
        with self.engine.connect() as c:
            row = c.execute(select(pushes).where(pushes.c.code == code)
                            .order_by(pushes.c.seq.desc()).limit(1)).first()
        if row is None:
            return None
        return Push(row.seq, row.page, json.loads(row.params), row.label, row.at)

    # ------------------------------------------------------------ upkeep

    def cleanup(self) -> int:
        """Delete the classes that have ended, with their votes, reveals and pushes."""
        now = self.clock()
        with self._write.begin() as c:
            ended = list(c.execute(select(classes.c.code).where(classes.c.expires_at <= now)).scalars())
            if not ended:
                return 0
            for table in (votes, reveals, pushes):
                c.execute(delete(table).where(table.c.code.in_(ended)))
            c.execute(delete(classes).where(classes.c.code.in_(ended)))
        return len(ended)

    def counts(self) -> dict[str, int]:
        """Rows per table (for the bounds' tests and the bench)."""
        with self.engine.connect() as c:
            return {t.name: c.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (classes, votes, reveals, pushes)}


def open_store(questions: Mapping[str, int], url: str | None = None, **kwargs) -> Store:
    """The store named by the environment (or `url`), its tables created if missing."""
    return Store(url, questions, **kwargs)
