"""Finding station files: ./stations, the project's stations/, the data folder, and the
default_station of the nearest benchplan.yaml."""

from __future__ import annotations

import pytest

from benchplan.station import StationConfigError, StationError, find_station

STATION = "instruments:\n  psu:\n    driver: RigolDP832\n    sim: true\n"


def test_the_current_folders_stations_come_before_the_data_folders(project, data_dir, write_file):
    local = write_file(project / "stations" / "bench.yaml", STATION)
    write_file(data_dir / "stations" / "bench.yaml", STATION)
    assert find_station("bench", data_dir=data_dir) == local


def test_the_data_folder_is_searched_when_the_current_folder_has_no_such_station(
    project, data_dir, write_file
):
    user = write_file(data_dir / "stations" / "bench.yml", STATION)
    assert find_station("bench", data_dir=data_dir) == user


def test_the_data_folder_defaults_to_benchplan_data_dir(project, tmp_path, monkeypatch, write_file):
    monkeypatch.setenv("BENCHPLAN_DATA_DIR", str(tmp_path / "env-data"))
    user = write_file(tmp_path / "env-data" / "stations" / "bench.yaml", STATION)
    assert find_station("bench") == user


def test_without_a_name_the_default_station_of_benchplan_yaml_in_a_parent_is_used(
    project, data_dir, write_file, monkeypatch
):
    write_file(project / "benchplan.yaml", "default_station: bench-b\nother: ignored\n")
    station = write_file(project / "stations" / "bench-b.yaml", STATION)
    below = project / "tests" / "deep"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    assert find_station(data_dir=data_dir) == station


def test_the_project_stations_come_before_the_data_folders_from_a_subfolder(
    project, data_dir, write_file, monkeypatch
):
    write_file(project / "benchplan.yaml", "default_station: bench\n")
    station = write_file(project / "stations" / "bench.yaml", STATION)
    write_file(data_dir / "stations" / "bench.yaml", STATION)
    monkeypatch.chdir(project / "stations")
    assert find_station("bench", data_dir=data_dir) == station


def test_default_station_may_be_a_path_relative_to_benchplan_yaml(project, write_file, monkeypatch):
    write_file(project / "benchplan.yaml", "default_station: benches/mine.yaml\n")
    station = write_file(project / "benches" / "mine.yaml", STATION)
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    assert find_station() == station


def test_a_path_is_used_as_given(project, write_file):
    path = write_file(project / "elsewhere" / "x.yaml", STATION)
    assert find_station("elsewhere/x.yaml") == path
    with pytest.raises(StationError, match="Cannot read the station file .*nope.yaml: there is no such file"):
        find_station("elsewhere/nope.yaml")


def test_no_name_and_no_benchplan_yaml_says_how_to_choose_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StationError) as info:
        find_station(cwd=tmp_path)
    assert "none was named and there is no benchplan.yaml" in str(info.value)
    assert "default_station: bench-a" in str(info.value)


def test_an_unknown_station_lists_where_it_looked_and_what_it_found(project, data_dir, write_file):
    write_file(project / "stations" / "bench-a.yaml", STATION)
    write_file(data_dir / "stations" / "lab.yaml", STATION)
    with pytest.raises(StationError) as info:
        find_station("bench-z", data_dir=data_dir)
    text = str(info.value)
    assert "Cannot find station 'bench-z'" in text
    assert str(project / "stations") in text and str(data_dir / "stations") in text
    assert "Stations found there: bench-a, lab." in text


def test_benchplan_yaml_without_default_station_is_reported(project, write_file):
    write_file(project / "benchplan.yaml", "station: x\n")
    with pytest.raises(StationConfigError, match=r"benchplan.yaml: it has no 'default_station' entry"):
        find_station()


def test_a_malformed_default_station_gives_its_line(project, write_file):
    write_file(project / "benchplan.yaml", "# project\ndefault_station: [a, b]\n")
    with pytest.raises(StationConfigError) as info:
        find_station()
    assert info.value.line == 2 and "expected a station name" in str(info.value)


def test_a_name_that_is_not_a_file_name_is_refused(project):
    with pytest.raises(StationError, match="a station name is letters, digits"):
        find_station("bench a!")
