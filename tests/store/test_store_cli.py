"""The data subcommands (runs, show, export), called through a parser made by add_data_commands."""

from __future__ import annotations

import argparse
import csv
import json
import time

import pytest
from store_helpers import feed, json_copy, make_run

from benchplan._cli_data import add_data_commands
from benchplan.store import DocumentStore


@pytest.fixture
def cli():
    parser = argparse.ArgumentParser(prog="benchplan")
    handlers = add_data_commands(parser.add_subparsers(dest="command"))

    def run(*argv: str) -> int:
        args = parser.parse_args(argv)
        return handlers[args.command](args)

    return run


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "docs.sqlite"
    with DocumentStore(path) as store:
        t0 = time.time() - 3600
        feed(store, make_run(plan_name="count", scan_id=7, start_time=t0, num=2))
        feed(store, make_run(plan_name="scan", scan_id=8, start_time=t0 + 60, exit_status="abort"))
        feed(store, make_run(plan_name="count", scan_id=9, start_time=t0 + 120, exit_status=None, num=4))
    return path


def _uids(path):
    with DocumentStore(path) as store:
        return [r.uid for r in store.runs()]


def test_runs_prints_a_table(cli, store_path, capsys):
    assert cli("runs", "--store", str(store_path)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["UID", "SCAN", "PLAN", "START", "STATUS", "EVENTS"]
    assert [line.split()[-2:] for line in lines[1:]] == [["success", "2"], ["abort", "3"], ["incomplete", "4"]]
    assert lines[1].startswith(_uids(store_path)[0][:8])


def test_runs_filters(cli, store_path, capsys):
    cli("runs", "--store", str(store_path), "--plan", "count", "--status", "incomplete")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and " 9 " in out[1]
    cli("runs", "--store", str(store_path), "--limit", "1")
    assert len(capsys.readouterr().out.splitlines()) == 2
    cli("runs", "--store", str(store_path), "--since", "today", "--plan", "nothing")
    assert "No runs" in capsys.readouterr().out


def test_runs_with_a_bad_date_explains(cli, store_path, capsys):
    assert cli("runs", "--store", str(store_path), "--since", "soon") == 1
    assert "benchplan runs: Cannot read a time from 'soon'" in capsys.readouterr().err


def test_missing_store_file_is_an_error_naming_it(cli, tmp_path, capsys):
    missing = tmp_path / "none.sqlite"
    assert cli("runs", "--store", str(missing)) == 1
    err = capsys.readouterr().err
    assert f"no document store at '{missing}'" in err and "--store PATH" in err
    assert not missing.exists()


def test_show_prints_the_events(cli, store_path, capsys):
    assert cli("show", "-1", "--store", str(store_path)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"run {_uids(store_path)[2]}") and "incomplete" in out[0]
    assert out[1] == "streams: primary (4)"
    header = out[3].split()
    assert header == ["seq_num", "time", "x", "label"]
    rows = [line.split() for line in out[4:]]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    assert [r[2] for r in rows] == ["1.5", "3", "4.5", "6"]


def test_show_by_uid_prefix(cli, store_path, capsys):
    uid = _uids(store_path)[0]
    assert cli("show", uid[:6], "--store", str(store_path)) == 0
    assert uid in capsys.readouterr().out


def test_show_unknown_uid_is_an_error(cli, store_path, capsys):
    assert cli("show", "nosuchrun", "--store", str(store_path)) == 1
    assert "benchplan show: No run in" in capsys.readouterr().err


def test_show_unknown_stream_names_the_streams(cli, store_path, capsys):
    assert cli("show", "-1", "--stream", "baseline", "--store", str(store_path)) == 1
    assert "has no stream 'baseline'; its streams: primary" in capsys.readouterr().err


def test_export_jsonl_to_a_file(cli, store_path, tmp_path, capsys):
    out = tmp_path / "run.jsonl"
    assert cli("export", "-3", "-o", str(out), "--store", str(store_path)) == 0
    with DocumentStore(store_path) as store:
        expected = json_copy(store.documents(-3))
    assert [tuple(json.loads(line)) for line in out.read_text().splitlines()] == expected
    assert "Wrote 5 documents" in capsys.readouterr().err


def test_export_csv_to_stdout(cli, store_path, capsys):
    assert cli("export", "-1", "--format", "csv", "--store", str(store_path)) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["seq_num", "time", "x", "label"]
    assert [row[2] for row in rows[1:]] == ["1.5", "3.0", "4.5", "6.0"]


def test_export_format_follows_the_file_suffix(cli, store_path, tmp_path):
    out = tmp_path / "run.csv"
    assert cli("export", "-1", "-o", str(out), "--store", str(store_path)) == 0
    assert out.read_text().startswith("seq_num,time,x,label")


def test_negative_index_parses_as_a_run_not_an_option(cli, store_path, capsys):
    assert cli("show", "-2", "--store", str(store_path)) == 0
    assert "abort" in capsys.readouterr().out.splitlines()[0]
