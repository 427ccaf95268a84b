"""Simulated Rigol DP800 supplies (DP832, DP821).

Channels are named in parameters as ``CH<n>`` (``:OUTP CH1,ON``,
``:MEAS:VOLT? CH1``) or by a header suffix (``:SOUR2:VOLT 5``); when left
out, the channel chosen by ``:INST:NSEL`` / ``:INST CH<n>`` is used.
Setpoints read back with 3 (volts) and 4 (amps) decimals, ``:APPL? CH1``
as ``CH1,5.000,1.0000``; switches read back ``ON``/``OFF`` and alarms
``YES``/``NO``.
"""

from __future__ import annotations

from typing import Sequence

from . import _params as P
from ._psu import ChannelSpec, SupplyChannel, SupplyInstrument
from ._scpi import CommandTree, Handler, ScpiError, Suffixes

__all__ = ["DP800", "DP821", "DP832"]

Args = Sequence[str]


def _is_channel_word(text: str) -> bool:
    return text[:2].upper() == "CH" and text[2:].isdigit()


class DP800(SupplyInstrument):
    """The DP800 command set; subclasses give the channels."""

    maker = "RIGOL TECHNOLOGIES"
    firmware = "00.01.16"

    @classmethod
    def build_commands(cls, tree: CommandTree) -> None:
        super().build_commands(tree)
        c = DP800
        src = "[:SOURce#]"
        sfx, arg = True, False  # channel from the header suffix / from a CH<n> parameter
        tree.add(":APPLy", write=c._apply, query=c._apply_query)
        for word, attr in (("VOLTage", "vset"), ("CURRent", "iset")):
            tree.add(
                f"{src}:{word}[:LEVel][:IMMediate][:AMPLitude]",
                write=c._writer(attr, sfx),
                query=c._reader(attr, sfx),
            )
        for word, kind, level in (("VOLTage", "OVP", "ovp_level"), ("CURRent", "OCP", "ocp_level")):
            flag = kind.lower() + "_on"
            prot = f"{src}:{word}:PROTection"
            tree.add(f"{prot}[:LEVel]", write=c._writer(level, sfx), query=c._reader(level, sfx))
            tree.add(f"{prot}:STATe", write=c._writer(flag, sfx), query=c._reader(flag, sfx))
            tree.add(f"{prot}:QUEStion", query=c._alarm(kind, sfx))
            tree.add(f"{prot}:CLEar", write=c._clear(kind, sfx))
            out = f":OUTPut:{kind}"
            tree.add(f"{out}[:STATe]", write=c._writer(flag, arg), query=c._reader(flag, arg))
            tree.add(f"{out}:VALue", write=c._writer(level, arg), query=c._reader(level, arg))
            tree.add(f"{out}:ALARm", query=c._alarm(kind, arg))
            tree.add(f"{out}:QUEStion", query=c._alarm(kind, arg))
            tree.add(f"{out}:CLEar", write=c._clear(kind, arg))
        tree.add(":INSTrument[:SELect]", write=c._inst_select, query=lambda s, a, x: f"CH{s.selected}")
        tree.add(":INSTrument:NSELect", write=c._inst_nselect, query=lambda s, a, x: str(s.selected))
        tree.add(":OUTPut[:STATe]", write=c._writer("output", arg), query=c._reader("output", arg))
        tree.add(":OUTPut:MODE", query=lambda s, a, x: s._arg_channel(a).evaluate()[2])
        tree.add(":MEASure[:VOLTage][:DC]", query=lambda s, a, x: f"{s._arg_channel(a).evaluate()[0]:.4f}")
        tree.add(":MEASure:CURRent[:DC]", query=lambda s, a, x: f"{s._arg_channel(a).evaluate()[1]:.4f}")
        tree.add(":MEASure:POWEr[:DC]", query=c._measure_power)
        tree.add(":MEASure:ALL[:DC]", query=c._measure_all)

    # -- channel arguments ---------------------------------------------------

    def _parse_channel(self, text: str) -> SupplyChannel:
        if not _is_channel_word(text):
            raise ScpiError(-224, detail=f"{text!r} is not CH1..CH{len(self.channels)}")
        n = int(text[2:])
        if not 1 <= n <= len(self.channels):
            raise ScpiError(-224, detail=f"{self.model} has no {text}")
        return self.channels[n - 1]

    def _arg_channel(self, args: Args) -> SupplyChannel:
        """``[CH<n>]`` as the only parameter."""
        P.count(args, 0, 1)
        return self._parse_channel(args[0]) if args else self.scpi_channel(None)

    def _channel_and_value(self, args: Args) -> tuple[SupplyChannel, str]:
        """``[CH<n>,]<value>``."""
        P.count(args, 1, 2)
        if len(args) == 2:
            return self._parse_channel(args[0]), args[1]
        return self.scpi_channel(None), args[0]

    # -- handler factories ---------------------------------------------------

    @staticmethod
    def _limits(ch: SupplyChannel, attr: str) -> tuple[float, float, str]:
        spec = ch.spec
        return {
            "vset": (0.0, spec.vmax, "voltage"),
            "iset": (spec.imin, spec.imax, "current"),
            "ovp_level": (0.01, spec.ovp_max, "OVP level"),
            "ocp_level": (0.001, spec.ocp_max, "OCP level"),
        }[attr]

    def _set_number(self, ch: SupplyChannel, attr: str, text: str) -> None:
        lo, hi, what = self._limits(ch, attr)
        setattr(ch, attr, P.number(text, lo, hi, default=lo, what=f"CH{ch.number} {what}"))

    def _target(
        self, args: Args, sfx: Suffixes, by_suffix: bool, value: bool
    ) -> tuple[SupplyChannel, str]:
        """The channel a handler acts on, and its value parameter when ``value``."""
        if by_suffix:
            P.count(args, 1 if value else 0)
            return self.scpi_channel(sfx[0]), args[0] if value else ""
        if value:
            return self._channel_and_value(args)
        return self._arg_channel(args), ""

    def _assign(self, ch: SupplyChannel, attr: str, text: str) -> None:
        if attr == "output":
            ch.switch(P.boolean(text))
        elif attr.endswith("_on"):
            setattr(ch, attr, P.boolean(text))
        else:
            self._set_number(ch, attr, text)

    @staticmethod
    def _render(attr: str, value: float | bool) -> str:
        if isinstance(value, bool):
            return "ON" if value else "OFF"
        return f"{value:.3f}" if attr in ("vset", "ovp_level") else f"{value:.4f}"

    @staticmethod
    def _writer(attr: str, by_suffix: bool) -> Handler:
        def write(self: DP800, args: Args, sfx: Suffixes) -> None:
            ch, text = self._target(args, sfx, by_suffix, True)
            self._assign(ch, attr, text)

        return write

    @staticmethod
    def _reader(attr: str, by_suffix: bool) -> Handler:
        def read(self: DP800, args: Args, sfx: Suffixes) -> str:
            return self._render(attr, getattr(self._target(args, sfx, by_suffix, False)[0], attr))

        return read

    @staticmethod
    def _alarm(kind: str, by_suffix: bool) -> Handler:
        def read(self: DP800, args: Args, sfx: Suffixes) -> str:
            return "YES" if self._target(args, sfx, by_suffix, False)[0].tripped == kind else "NO"

        return read

    @staticmethod
    def _clear(kind: str, by_suffix: bool) -> Handler:
        def write(self: DP800, args: Args, sfx: Suffixes) -> None:
            self._target(args, sfx, by_suffix, False)[0].clear(kind)

        return write

    # -- other handlers ------------------------------------------------------

    def _apply(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1, 3)
        if _is_channel_word(args[0]):
            ch, values = self._parse_channel(args[0]), args[1:]
        else:
            ch, values = self.scpi_channel(None), args
        P.count(values, 1, 2)
        lo, hi, _ = self._limits(ch, "vset")
        vset = P.number(values[0], lo, hi, default=lo, what=f"CH{ch.number} voltage")
        if len(values) > 1:
            self._set_number(ch, "iset", values[1])
        ch.vset = vset

    def _apply_query(self, args: Args, sfx: Suffixes) -> str:
        ch = self._arg_channel(args)
        return f"CH{ch.number},{ch.vset:.3f},{ch.iset:.4f}"

    def _inst_select(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.selected = self._parse_channel(args[0]).number

    def _inst_nselect(self, args: Args, sfx: Suffixes) -> None:
        P.count(args, 1)
        self.selected = P.integer(args[0], 1, len(self.channels), what="channel")

    def _measure_power(self, args: Args, sfx: Suffixes) -> str:
        v, i, _ = self._arg_channel(args).evaluate()
        return f"{v * i:.4f}"

    def _measure_all(self, args: Args, sfx: Suffixes) -> str:
        v, i, _ = self._arg_channel(args).evaluate()
        return f"{v:.4f},{i:.4f},{v * i:.4f}"


class DP832(DP800):
    """Rigol DP832: CH1, CH2 30 V / 3 A; CH3 5 V / 3 A."""

    model = "DP832"
    specs = (ChannelSpec(30.0, 3.0), ChannelSpec(30.0, 3.0), ChannelSpec(5.0, 3.0))


class DP821(DP800):
    """Rigol DP821: CH1 60 V / 1 A; CH2 8 V / 10 A."""

    model = "DP821"
    specs = (ChannelSpec(60.0, 1.0), ChannelSpec(8.0, 10.0))
