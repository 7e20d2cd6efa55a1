"""Bars only while a phase runs, with counts and ETA; nothing at all off a terminal."""

from io import StringIO

from rich.console import Console

from sesmigrate.report.progress import Phases


def terminal() -> tuple[Console, StringIO]:
    out = StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_a_phase_draws_its_counts_and_eta_and_erases_them_when_it_ends() -> None:
    console, out = terminal()
    phases = Phases(console)

    with phases.phase("Applying canary") as bar:
        bar.expect(3)
        for _ in range(3):
            bar.advance()
        assert phases.drawing == "Applying canary"

    assert phases.drawing is None
    drawn = out.getvalue()
    assert "Applying canary" in drawn and "3/3" in drawn and "ETA" in drawn
    assert drawn.endswith("\x1b[2K") or "\x1b[2K" in drawn.rsplit("3/3", 1)[1]  # erased


def test_nothing_is_drawn_between_phases_so_a_prompt_stays_readable() -> None:
    console, out = terminal()
    phases = Phases(console)
    with phases.phase("Checking canary") as bar:
        bar.expect(1)
        bar.advance()
    drawn = len(out.getvalue())

    console.print("Apply these changes? [y/N]: ", end="", markup=False, highlight=False)

    assert phases.drawing is None
    assert out.getvalue()[drawn:] == "Apply these changes? [y/N]: "


def test_phases_off_a_terminal_write_nothing() -> None:
    out = StringIO()
    phases = Phases(Console(file=out, force_terminal=False))

    with phases.phase("Applying canary") as bar:
        bar.expect(2)
        bar.advance(2)
        assert phases.drawing is None

    assert out.getvalue() == ""
