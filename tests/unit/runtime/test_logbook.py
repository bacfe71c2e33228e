from ampeco_ev_charger.runtime.logbook import Logbook, one_line


def test_secrets_are_redacted_from_every_line():
    lines = []
    book = Logbook(lambda message, level: lines.append((level, message)), ["s3cr3t-token", ""])
    book("request with s3cr3t-token failed", "ERROR")
    book.once("k", "again s3cr3t-token")
    assert lines == [("ERROR", "request with *** failed"), ("WARNING", "again ***")]


def test_a_problem_is_said_once_per_episode():
    lines = []
    book = Logbook(lambda message, level: lines.append(message), [])
    for _ in range(5):
        book.once("api-down", "cannot reach the cloud")
    assert lines == ["cannot reach the cloud"]
    assert book.forget("api-down") and not book.forget("api-down")
    book.once("api-down", "cannot reach the cloud")
    assert len(lines) == 2


def test_unexpected_exceptions_fit_one_line():
    try:
        {}["missing"]
    except KeyError as err:
        line = one_line(err)
    assert line.startswith("KeyError: 'missing' at test_logbook.py:")
