"""Templates are found from a checkout and packed into the wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sesmigrate.resources import template_text

ROOT = Path(__file__).resolve().parent.parent


def test_template_text_reads_the_templates_folder() -> None:
    assert template_text("README.md") == (ROOT / "templates" / "README.md").read_text()


def test_template_text_names_a_missing_template() -> None:
    with pytest.raises(FileNotFoundError, match=r"no template 'nope\.j2'"):
        template_text("nope.j2")


def test_wheel_packs_the_templates_folder(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("sesmigrate-*.whl")

    names = zipfile.ZipFile(wheel).namelist()

    assert "sesmigrate/_templates/README.md" in names
    assert "sesmigrate/emulator/models.py" in names
