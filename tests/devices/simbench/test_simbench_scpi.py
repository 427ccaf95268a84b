"""SCPI parsing and the error queue of the simulated instruments (no TCP)."""

import pytest

from benchplan.devices.simbench import ScpiError, SimBench
from benchplan.devices.simbench._params import boolean, channel_list, choice, number, string
from benchplan.devices.simbench._scpi import CommandTree, split_params, split_units


@pytest.fixture
def bench():
    return SimBench({"psu": "DP832", "e3": "E36312A", "dmm": "34461A"})


def errors(bench, name):
    out = []
    while True:
        reply = bench.send(name, "SYST:ERR?")
        if reply == '0,"No error"':
            return out
        out.append(int(reply.split(",")[0]))


def echo_tree():
    tree = CommandTree()
    tree.add("[:SOURce#]:VOLTage[:LEVel][:IMMediate]", write=lambda s, a, x: ("volt", a, x))
    tree.add("[:SOURce#]:VOLTage:PROTection[:LEVel]", write=lambda s, a, x: ("ovp", a, x))
    tree.add(":MEASure[:VOLTage][:DC]", query=lambda s, a, x: "meas")
    tree.add(":MEASure:CURRent[:DC]", query=lambda s, a, x: "curr")
    tree.add("*IDN", query=lambda s, a, x: "idn")
    return tree


@pytest.mark.parametrize(
    "header", ["VOLT", "VOLTAGE", "SOUR:VOLT", "SOURCE:VOLTAGE:LEVEL", "VOLT:LEV:IMM", ":SOUR:VOLT:IMMEDIATE"]
)
def test_short_and_long_forms_resolve_to_one_command(header):
    cmd, sfx, _ = echo_tree().resolve("", header)
    assert cmd.pattern.startswith("[:SOURce#]:VOLTage[:LEVel]")
    assert sfx == (None,)


@pytest.mark.parametrize("header", ["VOLTA", "SOURC:VOLT", "VOL", "VOLT:LEVE"])
def test_partial_keywords_are_undefined_headers(header):
    with pytest.raises(ScpiError) as info:
        echo_tree().resolve("", header)
    assert info.value.code == -113


def test_numeric_suffix_is_passed_to_the_handler():
    tree = echo_tree()
    assert tree.resolve("", "SOUR2:VOLT:PROT")[1] == (2,)
    assert tree.resolve("", "SOURCE12:VOLT")[1] == (12,)


def test_suffix_on_a_node_without_one_is_undefined():
    with pytest.raises(ScpiError, match="-113"):
        echo_tree().resolve("", "SOUR:VOLT2")


def test_relative_header_resolves_under_the_previous_path():
    tree = echo_tree()
    _, _, path = tree.resolve("", "SOUR1:VOLT")
    assert path == "SOUR1"
    cmd, sfx, _ = tree.resolve(path, "VOLT:PROT")
    assert cmd.pattern.endswith("PROTection[:LEVel]") and sfx == (1,)
    # a leading colon goes back to the root; common commands keep the path
    assert tree.resolve(path, ":MEAS")[0].query(None, (), ()) == "meas"
    assert tree.resolve(path, "*IDN")[2] == "SOUR1"


def test_split_units_and_params_respect_quotes_and_channel_lists():
    assert split_units('A;B "x;y";C') == ["A", 'B "x;y"', "C"]
    assert split_params('5, (@1,2), "a,b"') == ["5", "(@1,2)", '"a,b"']


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", 5.0), ("+2.5E-1", 0.25), ("100mA", 0.1), ("1.5 V", 1.5), ("MIN", 0.0), ("maximum", 30.0), ("DEF", 1.0)],
)
def test_numbers_accept_units_and_min_max_def(text, value):
    assert number(text, 0.0, 30.0, default=1.0) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "code"), [("31", -222), ("-1", -222), ("abc", -104), ("5 furlongs", -131), ("", -109)]
)
def test_bad_numbers_raise_their_scpi_code(text, code):
    with pytest.raises(ScpiError) as info:
        number(text, 0.0, 30.0)
    assert info.value.code == code


def test_booleans_choices_strings_and_channel_lists():
    assert [boolean(t) for t in ("ON", "off", "1", "0")] == [True, False, True, False]
    assert choice("simulator", ("POWer", "TEST", "SIMulator")) == "SIM"
    assert string('"VOLT:DC"') == "VOLT:DC"
    assert channel_list("(@1,3)", 3) == [1, 3]
    assert channel_list("(@1:3)", 3) == [1, 2, 3]
    for bad, code in (("(@4)", -222), ("(1)", -224), ("(@x)", -224)):
        with pytest.raises(ScpiError) as info:
            channel_list(bad, 3)
        assert info.value.code == code
    with pytest.raises(ScpiError, match="-224"):
        choice("BATT", ("POWer", "TEST", "SIMulator"))


def test_keywords_match_in_any_case(bench):
    bench.send("psu", ":sour1:volt 5")
    assert bench.send("psu", ":SOURce1:VOLTage?") == "5.000"
    assert bench.send("psu", "Sour1:Volt:Lev?") == "5.000"


def test_compound_message_replies_are_joined_by_semicolons(bench):
    reply = bench.send("psu", "*IDN?;:SOUR2:VOLT 3;VOLT?;:SOUR2:CURR 0.5;CURR?;*OPC?")
    idn, volt, curr, opc = reply.split(";")
    assert idn.startswith("RIGOL TECHNOLOGIES,DP832,")
    assert (volt, curr, opc) == ("3.000", "0.5000", "1")


def test_relative_path_without_colon_stays_in_the_subtree(bench):
    # after SOUR1:VOLT, "OUTP" means SOUR1:OUTP, which does not exist
    assert bench.send("psu", "SOUR1:VOLT 1;OUTP CH1,ON;*OPC?") is None
    assert errors(bench, "psu") == [-113]
    assert bench.send("psu", "SOUR1:VOLT 1;:OUTP CH1,ON;:OUTP? CH1") == "ON"


def test_undefined_header_pushes_113_and_skips_the_rest(bench):
    assert bench.send("psu", "FOO:BAR?;*IDN?") is None
    assert errors(bench, "psu") == [-113]


def test_execution_error_keeps_executing_the_message(bench):
    assert bench.send("psu", ":SOUR1:VOLT 99;:SOUR1:VOLT?") == "0.000"
    assert errors(bench, "psu") == [-222]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("*RST?", -113),
        (":MEAS:VOLT CH1", -113),
        (":SOUR1:VOLT", -109),
        (":SOUR1:VOLT 1,2", -108),
        (":OUTP CH9,ON", -224),
        (":OUTP CH1,MAYBE", -224),
        (":SOUR7:VOLT 1", -114),
        (":INST:NSEL 4", -222),
    ],
)
def test_bad_commands_push_their_error_code(bench, message, code):
    bench.send("psu", message)
    assert errors(bench, "psu") == [code]


def test_empty_error_queue_reads_no_error(bench):
    assert bench.send("psu", "SYST:ERR?") == '0,"No error"'
    assert bench.send("psu", "SYST:ERR:COUN?") == "0"


def test_error_queue_overflow_ends_with_350(bench):
    for _ in range(25):
        bench.send("psu", "NOPE")
    codes = errors(bench, "psu")
    assert len(codes) == 20
    assert codes[:19] == [-113] * 19 and codes[19] == -350


def test_cls_clears_the_queue_and_status(bench):
    bench.send("psu", "NOPE")
    assert bench.send("psu", "*STB?") == "4"
    bench.send("psu", "*CLS")
    assert bench.send("psu", "SYST:ERR?") == '0,"No error"'
    assert bench.send("psu", "*ESR?") == "0"


def test_esr_records_command_and_execution_errors(bench):
    bench.send("psu", "NOPE")
    bench.send("psu", ":SOUR1:VOLT 99")
    assert bench.send("psu", "*ESR?") == str(32 | 16)
    assert bench.send("psu", "*ESR?") == "0"


def test_channel_list_commands_on_the_keysight(bench):
    bench.send("e3", "VOLT 5,(@1);VOLT 12, (@2:3);CURR 0.1,(@1)")
    assert bench.send("e3", "VOLT? (@1:3)") == "+5.00000000E+00,+1.20000000E+01,+1.20000000E+01"
    assert bench.send("e3", "CURR? (@1)") == "+1.00000000E-01"
    bench.send("e3", "VOLT 7,(@1)")
    assert errors(bench, "e3") == [-222]
