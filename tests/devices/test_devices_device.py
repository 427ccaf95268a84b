import pytest

from benchplan.devices import Device, soft_signal_r_and_setter, soft_signal_rw


class Stage(Device):
    def __init__(self, name):
        super().__init__(name)
        self.x = soft_signal_rw(float, 1.0)
        self.y = soft_signal_rw(float, 2.0, kind="normal")
        self.speed = soft_signal_rw(float, 3.0, kind="config")
        self.secret = soft_signal_rw(float, 4.0, kind="omitted")
        self.count, self._set_count = soft_signal_r_and_setter(int, 0, kind="normal")


class Rig(Device):
    def __init__(self, name):
        super().__init__(name)
        self.stage = Stage("")
        self.gain = soft_signal_rw(int, 1, kind="config")


def test_children_are_named_after_device_and_attribute():
    stage = Stage("st")
    assert stage.x.name == "st_x" and stage.speed.name == "st_speed"
    assert stage.x.parent is stage
    assert list(stage.children) == ["x", "y", "speed", "secret", "count"]


def test_read_and_describe_cover_hinted_and_normal_children():
    stage = Stage("st")
    assert list(stage.read()) == ["st_x", "st_y", "st_count"]
    assert stage.read()["st_y"]["value"] == 2.0
    assert list(stage.describe()) == ["st_x", "st_y", "st_count"]
    assert stage.describe()["st_count"]["dtype"] == "integer"


def test_configuration_covers_config_children():
    stage = Stage("st")
    assert list(stage.read_configuration()) == ["st_speed"]
    assert stage.describe_configuration()["st_speed"]["source"] == "soft://st_speed"


def test_hints_list_hinted_children():
    assert Stage("st").hints == {"fields": ["st_x"]}


def test_read_follows_new_values():
    stage = Stage("st")
    stage.x.put(7.0)
    assert stage.read()["st_x"]["value"] == 7.0


def test_describe_is_a_fresh_copy():
    stage = Stage("st")
    stage.describe()["st_x"]["object_name"] = "st"
    assert "object_name" not in stage.describe()["st_x"]


def test_nested_device_children_get_full_names():
    rig = Rig("rig")
    assert rig.stage.name == "rig_stage" and rig.stage.x.name == "rig_stage_x"
    assert list(rig.read()) == ["rig_stage_x", "rig_stage_y", "rig_stage_count"]
    assert list(rig.read_configuration()) == ["rig_stage_speed", "rig_gain"]
    assert rig.hints == {"fields": []}  # a 'normal' sub-device adds no hints


def test_rename_renames_children_and_drops_cached_descriptions():
    stage = Stage("a")
    stage.describe()
    stage.name = "b"
    assert list(stage.read()) == ["b_x", "b_y", "b_count"]
    assert list(stage.describe()) == ["b_x", "b_y", "b_count"]


def test_renaming_a_child_refreshes_the_parent_description():
    stage = Stage("st")
    stage.describe()
    stage.x.name = "special"
    assert "special" in stage.describe()


def test_children_before_init_are_rejected():
    class Broken(Device):
        def __init__(self):
            self.x = soft_signal_rw(float)
            super().__init__("broken")

    with pytest.raises(TypeError, match=r"Cannot add child 'x' to Broken: call Device.__init__"):
        Broken()


def test_nameless_device_names_children_by_attribute():
    assert Stage("").x.name == "x"


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="Cannot give device 'd' the kind 'x'"):
        Device("d", kind="x")
