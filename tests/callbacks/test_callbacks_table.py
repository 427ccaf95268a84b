"""LiveTable: the table text, column choice, formatting and odd input."""

from __future__ import annotations

import enum
import logging
from datetime import datetime

import pytest
from event_model import compose_run, pack_event_page

from benchplan.callbacks import LiveTable

# Local wall-clock times, so the 'time' column is known whatever the zone.
T0 = datetime(2024, 1, 2, 3, 4, 5, 600000).timestamp()
RULE = "+-----------+------------+------------+------------+"


def number(precision="absent"):
    key = {"dtype": "number", "shape": [], "source": "sim"}
    if precision != "absent":
        key["precision"] = precision
    return key


def feed(table, docs):
    for name, doc in docs:
        table(name, doc)


def make_run(
    rows,
    data_keys=None,
    *,
    stream="primary",
    metadata=None,
    hints=None,
    object_keys=None,
    validate=True,
    pages=False,
    exit_status="success",
    uid="abcdef12-0000-4000-8000-000000000000",
):
    """Documents of one run with an event per dict in ``rows``."""
    if data_keys is None:
        data_keys = {"motor": number(3), "det": number(3)}
    md = {"plan_name": "scan", "plan_type": "generator", "scan_id": 7}
    md.update(metadata or {})
    run = compose_run(uid=uid, time=T0, metadata=md)
    desc = run.compose_descriptor(
        name=stream, data_keys=data_keys, hints=hints, object_keys=object_keys, time=T0
    )
    events = [
        desc.compose_event(
            data=row, timestamps={k: T0 for k in row}, time=T0 + i, validate=validate
        )
        for i, row in enumerate(rows)
    ]
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc)]
    if pages:
        docs.append(("event_page", pack_event_page(*events)))
    else:
        docs.extend(("event", e) for e in events)
    docs.append(("stop", run.compose_stop(exit_status=exit_status, time=T0 + 9)))
    return docs


THREE_POINTS = [
    {"motor": -1.0, "det": 0.6065306597126334},
    {"motor": 0.0, "det": 1.0},
    {"motor": 1.0, "det": 0.6065306597126334},
]


def test_three_point_run_prints_header_rows_and_footer():
    lines = []
    feed(LiveTable(["motor", "det"], out=lines.append), make_run(THREE_POINTS))
    assert lines == [
        "",
        RULE,
        "|   seq_num |       time |      motor |        det |",
        RULE,
        "|         1 | 03:04:05.6 |     -1.000 |      0.607 |",
        "|         2 | 03:04:06.6 |      0.000 |      1.000 |",
        "|         3 | 03:04:07.6 |      1.000 |      0.607 |",
        RULE,
        "scan ['abcdef12'] (scan num: 7)",
        "",
    ]


def test_event_page_prints_the_same_rows_as_events():
    by_event, by_page = [], []
    feed(LiveTable(["motor", "det"], out=by_event.append), make_run(THREE_POINTS))
    feed(LiveTable(["motor", "det"], out=by_page.append), make_run(THREE_POINTS, pages=True))
    assert by_page == by_event


def test_without_separator_lines_no_blank_lines():
    lines = []
    table = LiveTable(["motor", "det"], separator_lines=False, out=lines.append)
    feed(table, make_run(THREE_POINTS))
    assert "" not in lines
    assert lines[0] == RULE and lines[-1].startswith("scan [")


def test_precision_comes_from_the_data_key_or_the_default():
    lines = []
    keys = {"a": number(1), "b": number(5), "c": number(), "d": number(None)}
    table = LiveTable(["a", "b", "c", "d"], default_prec=2, out=lines.append)
    feed(table, make_run([{"a": 1.26, "b": 1.26, "c": 1.26, "d": 1.26}], keys))
    assert "|        1.3 |    1.26000 |       1.26 |       1.26 |" in lines[4]


def test_integer_string_and_boolean_columns():
    lines = []
    keys = {
        "n": {"dtype": "integer", "shape": [], "source": "sim"},
        "label": {"dtype": "string", "shape": [], "source": "sim"},
        "ok": {"dtype": "boolean", "shape": [], "source": "sim"},
    }
    table = LiveTable(["n", "label", "ok"], out=lines.append)
    feed(table, make_run([{"n": 42, "label": "a very long label", "ok": False}], keys))
    assert lines[4].endswith("|         42 |  a very lo |      False |")


def test_field_missing_from_an_event_leaves_its_cell_blank():
    lines = []
    rows = [{"motor": 1.0}, {"motor": 2.0, "det": 0.5}]
    table = LiveTable(["motor", "det"], out=lines.append)
    feed(table, make_run(rows, validate=False))
    assert lines[4].endswith("|      1.000 |            |")
    assert lines[5].endswith("|      2.000 |      0.500 |")


def test_unfilled_external_data_leaves_its_cell_blank():
    lines = []
    docs = make_run([{"motor": 1.0, "det": "datum-id/0"}])
    docs[2][1]["filled"] = {"det": False}
    feed(LiveTable(["motor", "det"], out=lines.append), docs)
    assert lines[4].endswith("|      1.000 |            |")


def test_value_that_is_not_a_number_is_shown_as_text():
    class Mode(enum.Enum):
        FAST = 2.5

    lines = []
    rows = [{"motor": "n/a", "det": Mode.FAST}]
    feed(LiveTable(["motor", "det"], out=lines.append), make_run(rows, validate=False))
    assert lines[4].endswith("|        n/a |      2.500 |")


def test_field_not_in_stream_gets_no_column_and_a_warning(caplog):
    lines = []
    with caplog.at_level(logging.WARNING, logger="benchplan.callbacks"):
        feed(LiveTable(["motor", "dett"], out=lines.append), make_run(THREE_POINTS))
    assert lines[2] == "|   seq_num |       time |      motor |"
    assert "'dett'" in caplog.text and "has no such field" in caplog.text
    assert "motor, det" in caplog.text


def test_array_field_gets_no_column_and_a_warning(caplog):
    lines = []
    keys = {"motor": number(3), "img": {"dtype": "array", "shape": [2, 2], "source": "sim"}}
    rows = [{"motor": 1.0, "img": [[1, 2], [3, 4]]}]
    with caplog.at_level(logging.WARNING, logger="benchplan.callbacks"):
        feed(LiveTable(["motor", "img"], out=lines.append), make_run(rows, keys))
    assert lines[4].endswith("|      1.000 |")
    assert "'img'" in caplog.text and "'array'" in caplog.text


def test_default_fields_put_dimensions_first_then_hinted_fields():
    lines = []
    keys = {"det": number(3), "det_stats": number(3), "motor": number(3), "motor_sp": number(3)}
    docs = make_run(
        [{"det": 0.5, "det_stats": 9.0, "motor": 1.0, "motor_sp": 1.0}],
        keys,
        metadata={"hints": {"dimensions": [(["motor"], "primary")]}},
        hints={"det": {"fields": ["det"]}, "motor": {"fields": ["motor"]}},
        object_keys={"det": ["det", "det_stats"], "motor": ["motor", "motor_sp"]},
    )
    feed(LiveTable(out=lines.append), docs)
    assert lines[2] == "|   seq_num |       time |      motor |        det |"


def test_default_fields_use_every_field_of_an_unhinted_device():
    lines = []
    docs = make_run(
        THREE_POINTS,
        metadata={"motors": ["motor"]},
        object_keys={"det": ["det"], "motor": ["motor"]},
    )
    feed(LiveTable(out=lines.append), docs)
    assert lines[2] == "|   seq_num |       time |      motor |        det |"


def test_default_fields_without_hints_show_every_data_key():
    lines = []
    feed(LiveTable(out=lines.append), make_run(THREE_POINTS))
    assert lines[2] == "|   seq_num |       time |      motor |        det |"


def test_wide_field_name_widens_its_column():
    lines = []
    keys = {"a_rather_long_name": number(2)}
    feed(LiveTable(out=lines.append), make_run([{"a_rather_long_name": 3.0}], keys))
    assert lines[2] == "|   seq_num |       time | a_rather_long_name |"
    assert lines[4] == "|         1 | 03:04:05.6 |               3.00 |"


def test_header_is_printed_again_every_interval():
    lines = []
    rows = THREE_POINTS * 2
    feed(LiveTable(["motor", "det"], print_header_interval=4, out=lines.append), make_run(rows))
    headers = [i for i, line in enumerate(lines) if "seq_num" in line]
    assert headers == [2, 8]  # before rows 1 and 4
    assert lines[9:11] == [RULE, "|         4 | 03:04:08.6 |     -1.000 |      0.607 |"]


def test_other_streams_and_runs_are_ignored():
    lines = []
    table = LiveTable(["motor", "det"], out=lines.append)
    baseline = make_run(THREE_POINTS, stream="baseline")
    other = make_run(THREE_POINTS, uid="99999999-0000-4000-8000-000000000000")
    run = make_run(THREE_POINTS[:1])
    # the descriptor and events of another run arrive while this one is open
    feed(table, run[:2] + other[1:3] + run[2:])
    assert sum(line.startswith("|         ") for line in lines) == 1
    lines.clear()
    feed(table, baseline)
    assert lines == ["scan ['abcdef12'] (scan num: 7)", ""]


def test_watermark_without_plan_type_or_scan_id():
    lines = []
    run = compose_run(uid="0123456789", time=T0)
    table = LiveTable(out=lines.append)
    table("start", run.start_doc)
    table("stop", run.compose_stop())
    assert lines == ["['01234567']", ""]


def test_logbook_gets_the_whole_table_once():
    lines, books = [], []
    table = LiveTable(["motor", "det"], out=lines.append, logbook=books.append)
    feed(table, make_run(THREE_POINTS))
    assert books == ["\n".join(lines[:-1])]


def test_default_output_goes_to_stdout(capsys):
    feed(LiveTable(["motor", "det"]), make_run(THREE_POINTS))
    out = capsys.readouterr().out
    assert "|         2 | 03:04:06.6 |      0.000 |      1.000 |\n" in out
    assert out.endswith("scan ['abcdef12'] (scan num: 7)\n\n")


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"print_header_interval": 0}, "print_header_interval=0"),
        ({"min_width": -1}, "min_width=-1"),
        ({"default_prec": 1.5}, "default_prec=1.5"),
        ({"extra_pad": True}, "extra_pad=True"),
    ],
)
def test_bad_setting_is_refused_with_its_name(kwargs, text):
    with pytest.raises(ValueError, match="Cannot make a LiveTable with " + text):
        LiveTable(**kwargs)


def test_field_that_is_neither_name_nor_device_is_refused():
    with pytest.raises(TypeError, match="Cannot make a table column from 3"):
        LiveTable([3])


def test_documents_from_bluesky_run_engine():
    from bluesky import RunEngine
    from bluesky.plans import scan
    from ophyd.sim import det, motor

    lines = []
    RE = RunEngine()
    RE(scan([det], motor, -1, 1, 3), LiveTable(out=lines.append))
    assert lines[2] == "|   seq_num |       time |      motor |        det |"
    rows = [line.split("|")[3:5] for line in lines[4:7]]
    assert rows == [
        ["     -1.000 ", "      0.607 "],
        ["      0.000 ", "      1.000 "],
        ["      1.000 ", "      0.607 "],
    ]
    assert lines[8].startswith("scan [")


def test_devices_stand_for_their_hinted_fields():
    from bluesky import RunEngine
    from bluesky.plans import scan
    from ophyd.sim import det, motor

    lines = []
    RunEngine()(scan([det], motor, -1, 1, 2), LiveTable([det, motor], out=lines.append))
    assert lines[2] == "|   seq_num |       time |        det |      motor |"
