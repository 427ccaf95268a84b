"""Simulated Keithley 2281S-20-6: supply, battery simulator and battery test.

The function mode (``:ENTR:FUNC POW|TEST|SIM``; the query answers
``POWER``, ``TEST`` or ``SIMULATOR``) decides which commands are permitted:
a command of another mode pushes error 700 "Command not permitted in this
mode". Changing mode switches the output off.

POW: ``[:SOUR1]:VOLT``, ``[:SOUR1]:CURR`` (limit), ``:VOLT:PROT`` (OVP),
``:CURR:PROT`` (OCP), ``:VOLT:LIM``, ``:OUTP``, ``:OUTP:PROT:TRIP?`` ->
``NONE|OVP|OCP``, ``:OUTP:PROT:CLE``. SIM: ``:BATT:OUTP``,
``:BATT:MOD:RCL``, ``:BATT:MOD<n>:VOC|RES|CAP``, ``:BATT:SIM:...`` (see
:mod:`._battery`), ``:BATT:STAT?``. TEST: ``:BATT:TEST:...`` settings are
kept but not simulated. In every mode: ``:MEAS:VOLT?``, ``:MEAS:CURR?``,
``:MEAS:CONC:DC?`` -> ``+1.500000E+00A,+3.299153E+00V,+3.369820E+05s``.
Numbers read back as ``+5.000000E+00``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from . import _params as P
from ._battery import BUILTIN_MODELS, BatterySim
from ._psu import ChannelSpec, SupplyInstrument
from ._scpi import CommandTree, Handler, ScpiError, Suffixes

if TYPE_CHECKING:
    from ._bench import Bench

__all__ = ["K2281S"]

Args = Sequence[str]
_MODES = {"POW": "POWER", "TEST": "TEST", "SIM": "SIMULATOR"}
_SLOT_DEFAULTS = ("LI-ION4_2", "NIMH1_2", "NICD1_2", "LEAD-ACID12", "NIMH12") + ("LI-ION4_2",) * 4
_BATT = ("SIM", "TEST")


def _num(value: float) -> str:
    return f"{value:+.6E}"


class K2281S(SupplyInstrument):
    """Keithley 2281S-20-6 (20 V / 6 A) with its three function modes.

    Attributes
    ----------
    battery : BatterySim
        The battery simulator's state (SoC, capacity, limits).
    slots : list of BatteryModel
        Model memory slots 1..9 (index 0 is slot 1).
    """

    maker = "KEITHLEY INSTRUMENTS"
    model = "2281S-20-6"
    firmware = "01.09.2018"
    specs = (ChannelSpec(20.0, 6.1, imin=0.1),)
    protection_default = True

    def __init__(self, name: str, bench: Bench, *, serial: str) -> None:
        self.slots = [BUILTIN_MODELS[n] for n in _SLOT_DEFAULTS]
        super().__init__(name, bench, serial=serial)

    def reset(self) -> None:
        super().reset()
        self.mode = "POW"
        self.voltage_limit = self.specs[0].vmax
        self.continuous = True
        self.test = {"VOLT": 0.0, "END": 0.0, "VFUL": 0.0, "ILIM": 1.0}
        self.test_state = "STOP"
        self.test_output = False
        self.battery = BatterySim(self.bench.clock, self.loads[0], self.slots[0])

    @classmethod
    def build_commands(cls, tree: CommandTree) -> None:
        super().build_commands(tree)
        c = K2281S
        src = "[:SOURce#]"
        pow_ = ("POW",)
        tree.add(":ENTRy:FUNCtion", write=c._set_mode, query=lambda s, a, x: _MODES[s.mode])
        for pattern, attr, lo, hi in (
            (f"{src}:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "vset", 0.0, 20.0),
            (f"{src}:CURRent[:LEVel][:IMMediate][:AMPLitude]", "iset", 0.1, 6.1),
            (f"{src}:VOLTage:PROTection[:LEVel]", "ovp_level", 0.02, 22.0),
            (f"{src}:CURRent:PROTection[:LEVel]", "ocp_level", 0.01, 6.71),
            (f"{src}:VOLTage:LIMit[:LEVel]", "voltage_limit", 0.0, 20.0),
        ):
            tree.add(pattern, write=c._setter(attr, lo, hi), query=c._getter(attr), modes=pow_)
        tree.add(
            ":OUTPut[:STATe]",
            write=c._output,
            query=lambda s, a, x: "1" if s.channels[0].output else "0",
            modes=pow_,
        )
        tree.add(
            ":OUTPut:PROTection:TRIPped", query=lambda s, a, x: s.channels[0].tripped or "NONE", modes=pow_
        )
        tree.add(":OUTPut:PROTection:CLEar", write=lambda s, a, x: s.channels[0].clear(), modes=pow_)
        tree.add(
            ":INITiate:CONTinuous", write=c._init_cont, query=lambda s, a, x: "1" if s.continuous else "0"
        )
        tree.add(":MEASure[:SCALar]:VOLTage[:DC]", query=lambda s, a, x: _num(s.voltage()))
        tree.add(":MEASure[:SCALar]:CURRent[:DC]", query=lambda s, a, x: _num(s.current()))
        tree.add(":MEASure[:SCALar]:CONCurrent[:DC]", query=c._measure_concurrent)
        # battery simulator and battery test
        batt, mod = _BATT, ":BATTery:MODel"
        tree.add(":BATTery:OUTPut[:STATe]", write=c._batt_output, query=c._batt_output_query, modes=batt)
        tree.add(f"{mod}:RCL", write=c._recall, modes=batt)
        tree.add(f"{mod}#:VOC", write=c._table_writer(0), query=c._table_reader(0), modes=batt)
        tree.add(f"{mod}#:RESistance", write=c._table_writer(1), query=c._table_reader(1), modes=batt)
        tree.add(f"{mod}#:CAPacity", write=c._slot_capacity, query=c._slot_capacity_query, modes=batt)
        c._build_simulator(tree)
        for key, pattern, hi in (
            ("VOLT", ":BATTery:TEST:VOLTage", 20.0),
            ("END", ":BATTery:TEST:CURRent:END", 0.1),
            ("VFUL", ":BATTery:TEST:SENSe:AH:VFULl", 20.0),
            ("ILIM", ":BATTery:TEST:SENSe:AH:ILIMit", 6.1),
        ):
            tree.add(pattern, write=c._test_setter(key, hi), query=c._test_getter(key), modes=("TEST",))
        tree.add(
            ":BATTery:TEST:SENSe:AH:EXECute",
            write=c._test_exec,
            query=lambda s, a, x: s.test_state,
            modes=("TEST",),
        )

    @classmethod
    def _build_simulator(cls, tree: CommandTree) -> None:
        c, sim, b = K2281S, ("SIM",), ":BATTery:SIMulator"
        for word, attr, lo, hi in (
            ("SOC", "soc", 0.0, 100.0),
            ("VOC:FULL", "voc_full", 0.0, 20.0),
            ("VOC:EMPTy", "voc_empty", 0.0, 20.0),
            ("CURRent:LIMit", "current_limit", 0.0, 6.1),
            ("CURRent:PROTection", "current_protection", 0.0, 6.1),
            ("TVOLtage:PROTection", "tvol_protection", 0.0, 20.0),
            ("RESistance:OFFSet", "res_offset", -100.0, 100.0),
            ("CAPacity:LIMit", "capacity", 0.001, 99.0),
        ):
            tree.add(
                f"{b}:{word}", write=c._battery_setter(attr, lo, hi), query=c._battery_getter(attr), modes=sim
            )
        tree.add(f"{b}:VOC", write=c._set_voc, query=lambda s, a, x: _num(s.battery_now().voc()), modes=sim)
        tree.add(
            f"{b}:METHod",
            write=c._method,
            query=lambda s, a, x: "DYNAMIC" if s.battery.dynamic else "STATIC",
            modes=sim,
        )
        tree.add(f"{b}:TVOLtage", query=lambda s, a, x: _num(s.battery.terminal()[0]), modes=sim)
        tree.add(f"{b}:CURRent", query=lambda s, a, x: _num(s.battery.terminal()[1]), modes=sim)
        tree.add(f"{b}:RESistance", query=lambda s, a, x: _num(s.battery_now().resistance()), modes=sim)
        tree.add(f"{b}:CAPacity", query=c._capacity_now, modes=sim)
        tree.add(
            ":BATTery:STATus",
            query=lambda s, a, x: "CHARGE" if s.battery.terminal()[1] < 0 else "DISCHARGE",
            modes=sim,
        )

    # -- the output node (what MEAS and a DMM see) ----------------------------

    def _terminal(self) -> tuple[float, float]:
        if self.mode == "POW":
            v, i, _ = self.channels[0].evaluate()
            return v, i
        if self.mode == "SIM":
            return self.battery.terminal()
        return 0.0, 0.0

    def voltage(self) -> float:
        """Volts at the output now, in the present mode (0 in TEST mode)."""
        return self._terminal()[0]

    def current(self) -> float:
        """Amps out of the output now, in the present mode (0 in TEST mode)."""
        return self._terminal()[1]

    def resistance(self) -> float:
        """Ohms of the load on the output."""
        return self.loads[0].ohms

    def output_node(self, channel: int) -> K2281S:
        self.channel(channel)
        return self

    def update(self) -> None:
        self._terminal()

    def battery_now(self) -> BatterySim:
        """The battery simulator, its SoC brought up to date."""
        self.battery.advance()
        return self.battery

    # -- handlers ---------------------------------------------------------------

    def _set_mode(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        mode = P.choice(args[0], ("POWer", "TEST", "SIMulator"))
        if mode != self.mode:
            self.channels[0].output = False
            self.battery.switch(False)
            self.test_output = False
            self.mode = mode

    def _check_source(self, sfx: Suffixes) -> None:
        if sfx and sfx[0] not in (None, 1):
            raise ScpiError(-114, detail=f"SOUR{sfx[0]} on a one-channel supply")

    @staticmethod
    def _setter(attr: str, lo: float, hi: float) -> Handler:
        def write(self: K2281S, args: Args, sfx: Suffixes) -> None:
            self._check_source(sfx)
            P.count(args, 1)
            value = P.number(args[0], lo, hi, default=lo, what=attr)
            if attr == "vset" and value > self.voltage_limit:
                raise ScpiError(-222, detail=f"voltage {value:g} above the limit {self.voltage_limit:g}")
            setattr(self if attr == "voltage_limit" else self.channels[0], attr, value)

        return write

    @staticmethod
    def _getter(attr: str) -> Handler:
        def read(self: K2281S, args: Args, sfx: Suffixes) -> str:
            self._check_source(sfx)
            return _num(getattr(self if attr == "voltage_limit" else self.channels[0], attr))

        return read

    def _output(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.channels[0].switch(P.boolean(args[0]))

    def _init_cont(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.continuous = P.boolean(args[0])

    def _measure_concurrent(self, args: Args, sfx: Suffixes) -> str:
        v, i = self._terminal()
        return f"{_num(i)}A,{_num(v)}V,{_num(self.bench.now())}s"

    def _batt_output(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        on = P.boolean(args[0])
        if self.mode == "SIM":
            self.battery.switch(on)
        else:
            self.test_output = on

    def _batt_output_query(self, args: Args, sfx: Suffixes) -> str:
        return "1" if (self.battery.output if self.mode == "SIM" else self.test_output) else "0"

    def _slot(self, sfx: Suffixes) -> int:
        if sfx[0] is None or not 1 <= sfx[0] <= len(self.slots):
            raise ScpiError(-114, detail=f"model slot {sfx[0]} not in 1..9")
        return sfx[0] - 1

    def _recall(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        text = args[0].strip("\"'").upper()
        if text.isdigit():
            model = self.slots[P.integer(text, 1, len(self.slots), what="model slot") - 1]
        elif text in BUILTIN_MODELS:
            model = BUILTIN_MODELS[text]
        else:
            raise ScpiError(-224, detail=f"no battery model {args[0]!r}")
        if self.battery.output:
            raise ScpiError(704, "Not permitted while output is on")
        self.battery.recall(model)

    @staticmethod
    def _table_writer(index: int) -> Handler:
        def write(self: K2281S, args: Args, sfx: Suffixes) -> None:
            slot = self._slot(sfx)
            P.count(args, 1, 101)
            values = P.string(args[0]).split(",") if len(args) == 1 else list(args)
            if len(values) != 101:
                raise ScpiError((702, 705)[index], "Invalid number of model points")
            try:
                table = tuple(float(v.strip()) for v in values)
            except ValueError:
                raise ScpiError(710, "Invalid model data") from None
            ordered = all(b >= a for a, b in zip(table, table[1:]))
            if index == 1:
                ordered = all(b <= a for a, b in zip(table, table[1:])) and min(table) >= 0
            if not ordered:
                raise ScpiError(710, "Invalid model data")
            old = self.slots[slot]
            self.slots[slot] = old._replace(voc=table) if index == 0 else old._replace(res=table)

        return write

    @staticmethod
    def _table_reader(index: int) -> Handler:
        return lambda self, args, sfx: ",".join(f"{v:g}" for v in self.slots[self._slot(sfx)][index])

    def _slot_capacity(self, args: Args, sfx: Suffixes) -> None:
        slot = self._slot(sfx)
        P.count(args, 1)
        self.slots[slot] = self.slots[slot]._replace(capacity=P.number(args[0], 0.001, 99.0, what="capacity"))

    def _slot_capacity_query(self, args: Args, sfx: Suffixes) -> str:
        return _num(self.slots[self._slot(sfx)].capacity)

    @staticmethod
    def _battery_setter(attr: str, lo: float, hi: float) -> Handler:
        def write(self: K2281S, args: Args, sfx: Suffixes) -> None:
            P.count(args, 1)
            value = P.number(args[0], lo, hi, default=lo, what=attr)
            if attr == "capacity" and self.battery.output:
                raise ScpiError(704, "Not permitted while output is on")
            self.battery_now()
            setattr(self.battery, attr, value)

        return write

    @staticmethod
    def _battery_getter(attr: str) -> Handler:
        return lambda self, args, sfx: _num(getattr(self.battery_now(), attr))

    def _set_voc(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        b = self.battery_now()
        lo, hi = sorted((b.voc_empty, b.voc_full))
        b.set_voc(P.number(args[0], lo, hi, what="Voc"))

    def _method(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.battery_now().dynamic = P.choice(args[0], ("DYNamic", "STATic")) == "DYN"

    def _capacity_now(self, args: Args, sfx: Suffixes) -> str:
        b = self.battery_now()
        return _num(b.capacity * b.soc / 100.0)

    @staticmethod
    def _test_setter(key: str, hi: float) -> Handler:
        def write(self: K2281S, args: Args, sfx: Suffixes) -> None:
            P.count(args, 1)
            self.test[key] = P.number(args[0], 0.0, hi, what=key)

        return write

    @staticmethod
    def _test_getter(key: str) -> Handler:
        return lambda self, args, sfx: _num(self.test[key])

    def _test_exec(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        word = P.choice(args[0], ("STARt", "STOP", "PAUSe", "CONTinue"))
        self.test_state = {"STAR": "START", "PAUS": "PAUSE", "CONT": "CONTINUE"}.get(word, word)
