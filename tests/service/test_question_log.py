"""The SQLite question log: survives a restart, honours retention, groups unanswered questions."""

import time

import pytest

from service.question_log import LoggedAnswer, QuestionLog
from service.unanswered_groups import group_unanswered


def _entry(question: str, answerable: bool = True, created: float | None = None) -> LoggedAnswer:
    entry = LoggedAnswer(question=question, completed=question, answer="答", answerable=answerable, confidence=0.4,
                         citations=[{"n": 1, "chunk_id": "c1"}], index_version="abc@2017")
    if created is not None:
        entry.created = created
    return entry


def test_answers_and_feedback_survive_a_restart(tmp_path):
    path = tmp_path / "log.sqlite"
    first = QuestionLog(path, retention_days=30)
    answer_id = first.log_answer(_entry("农村低保标准是多少？"))
    first.add_feedback(answer_id, "down", "答非所问", "没有说农村")
    del first

    reopened = QuestionLog(path, retention_days=30)
    assert reopened.has_answer(answer_id)
    [item] = reopened.feedback()
    assert (item["rating"], item["reason"], item["comment"]) == ("down", "答非所问", "没有说农村")
    assert item["question"] == "农村低保标准是多少？" and item["citations"] == [{"n": 1, "chunk_id": "c1"}]
    assert reopened.feedback(rating="up") == []


def test_rows_older_than_the_retention_are_purged(tmp_path):
    log = QuestionLog(tmp_path / "log.sqlite", retention_days=7)
    old = log.log_answer(_entry("旧问题", created=time.time() - 8 * 86400))
    new = log.log_answer(_entry("新问题"))
    log.add_feedback(new, "up", "", "")
    assert log.purge() == 1
    assert not log.has_answer(old) and log.has_answer(new)
    assert QuestionLog(tmp_path / "log.sqlite", retention_days=7).count_answers() == 1


def test_retention_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="retention_days"):
        QuestionLog(tmp_path / "log.sqlite", retention_days=0)


def test_unanswered_are_grouped_by_similarity_newest_first(tmp_path):
    log = QuestionLog(tmp_path / "log.sqlite", retention_days=30)
    now = time.time()
    log.log_answer(_entry("2018年最低工资标准是多少", answerable=False, created=now - 30))
    log.log_answer(_entry("最低工资标准是多少", answerable=False, created=now - 20))
    log.log_answer(_entry("环湖赛哪天开赛", answerable=False, created=now - 10))
    log.log_answer(_entry("养老金涨多少", answerable=True, created=now))
    rows = log.unanswered()
    words = ("最低工资", "标准", "2018", "环湖赛", "开赛")
    groups = group_unanswered(rows, lambda text: [w for w in words if w in text])
    assert [(g["question"], g["count"]) for g in groups] == [("环湖赛哪天开赛", 1), ("最低工资标准是多少", 2)]
    assert groups[1]["questions"] == ["最低工资标准是多少", "2018年最低工资标准是多少"]


def test_several_workers_log_to_one_file_from_many_threads(tmp_path):
    """Each worker process has its own log object on the shared file (WAL): every row of every thread lands."""
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "log.sqlite"
    workers = [QuestionLog(path, retention_days=30) for _ in range(2)]
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: workers[i % 2].log_answer(_entry(f"问题{i}")), range(64)))
    assert len(set(ids)) == 64 and all(workers[0].has_answer(a) and workers[1].has_answer(a) for a in ids)
    assert workers[1].count_answers() == 64
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_close_folds_the_write_ahead_log_into_the_file_and_a_later_write_reopens(tmp_path):
    path = tmp_path / "log.sqlite"
    log = QuestionLog(path, retention_days=30)
    first = log.log_answer(_entry("农村低保标准是多少？"))
    wal = tmp_path / "log.sqlite-wal"
    assert wal.exists()
    log.close()
    assert not wal.exists()  # checkpointed and removed: the file alone holds every answer
    second = log.log_answer(_entry("城市低保标准是多少？"))
    assert log.has_answer(first) and log.has_answer(second)
