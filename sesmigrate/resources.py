"""Where the report, IAM policy and cut-over templates are read from.

The top-level `templates/` folder is packed into the wheel as `sesmigrate/_templates`
(pyproject's force-include), so an installed sesmigrate reads it with importlib.resources;
an editable install or a checkout has no `_templates`, and reads the folder beside the
package instead.
"""

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path


def templates_root() -> Traversable:
    """The templates folder of this installation."""
    packaged = files("sesmigrate") / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(str(files("sesmigrate"))).parent / "templates"


def template_text(name: str) -> str:
    """One template's source, by its path inside `templates/`."""
    resource = templates_root().joinpath(*name.split("/"))
    if not resource.is_file():
        raise FileNotFoundError(f"no template {name!r} in {templates_root()}")
    return resource.read_text(encoding="utf-8")
