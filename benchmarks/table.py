"""Print a benchmark's figures as an aligned text table, or as Markdown for run_all.py."""

import sys


class Table:
    """Rows print as they are measured, so a long benchmark shows progress."""

    def __init__(self, headers: list[str], markdown: bool = "--markdown" in sys.argv) -> None:
        self.headers, self.markdown = headers, markdown
        self.widths = [max(len(h), 9) for h in headers]
        if markdown:
            print("| " + " | ".join(headers) + " |")
            print("|" + "|".join("---:" for _ in headers) + "|")
        else:
            print(" ".join(h.rjust(w) for h, w in zip(headers, self.widths, strict=True)))

    def row(self, *values: object) -> None:
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in values]
        cells += [""] * (len(self.headers) - len(cells))
        if self.markdown:
            print("| " + " | ".join(cells) + " |", flush=True)
        else:
            print(" ".join(c.rjust(w) for c, w in zip(cells, self.widths, strict=True)), flush=True)

    def note(self, text: str) -> None:
        print(f"\n_{text}_" if self.markdown else text)
