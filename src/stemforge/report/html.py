"""A self-contained HTML page builder: title, sections, tables, key/value lists, inline figures.

Pages have no external resources: the style sheet is inline and figures are PNG files
embedded as ``data:image/png;base64`` URIs, so a report opens anywhere as one file and can
be mailed to a client. Every text passed in is escaped; nothing is interpreted as markup.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from stemforge.audio import write_text_atomic

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d232a; background: #fbfbfc; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d8dde3; padding-bottom: 0.3rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p.subtitle { color: #5b6670; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.8rem; border-bottom: 1px solid #e3e7eb; text-align: left; }
td.num, th.num { text-align: right; }
th { background: #eef1f4; font-weight: 600; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; border: 1px solid #e3e7eb; background: white; }
figcaption { color: #5b6670; font-size: 0.9rem; }
.ok { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
footer { margin-top: 3rem; color: #8b949e; font-size: 0.8rem; }
"""


def escape(text: object) -> str:
    """``text`` as HTML with ``& < > " '`` escaped."""
    return html.escape(str(text), quote=True)


def png_data_uri(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URI for PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _is_number(text: str) -> bool:
    stripped = text.strip().replace("+", "").replace("−", "-").split(" ")[0]
    try:
        float(stripped)
    except ValueError:
        return False
    return True


@dataclass
class Section:
    """A titled part of a page; add blocks with its methods, in reading order."""

    heading: str
    level: int = 2
    blocks: list[str | Section] = field(default_factory=list)

    def paragraph(self, text: str, *, css_class: str | None = None) -> Section:
        """Add a paragraph of plain text."""
        attribute = f' class="{escape(css_class)}"' if css_class else ""
        self.blocks.append(f"<p{attribute}>{escape(text)}</p>")
        return self

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> Section:
        """Add a table; cells that read as numbers are right-aligned."""
        head = "".join(f"<th>{escape(h)}</th>" for h in headers)
        body = []
        for row in rows:
            cells = []
            for cell in row:
                text = "" if cell is None else str(cell)
                css = ' class="num"' if text and _is_number(text) else ""
                cells.append(f"<td{css}>{escape(text)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        self.blocks.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
        return self

    def key_values(self, items: Mapping[str, object]) -> Section:
        """Add a two-column table of names and values."""
        return self.table(["", ""], items.items()) if items else self

    def figure(self, png: bytes, *, alt: str, caption: str | None = None) -> Section:
        """Add a PNG image, embedded in the page."""
        caption_html = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
        self.blocks.append(f'<figure><img src="{png_data_uri(png)}" alt="{escape(alt)}">{caption_html}</figure>')
        return self

    def subsection(self, heading: str) -> Section:
        """Add and return a nested section."""
        child = Section(heading, level=min(self.level + 1, 6))
        self.blocks.append(child)
        return child

    def render(self) -> str:
        parts = [f"<h{self.level}>{escape(self.heading)}</h{self.level}>"]
        parts.extend(block.render() if isinstance(block, Section) else block for block in self.blocks)
        return "<section>" + "\n".join(parts) + "</section>"


@dataclass
class HtmlReport:
    """A whole page: ``report.section("Loudness").table(...)``, then :meth:`render` or :meth:`write`."""

    title: str
    subtitle: str | None = None
    sections: list[Section] = field(default_factory=list)

    def section(self, heading: str) -> Section:
        """Add and return a top-level section."""
        section = Section(heading)
        self.sections.append(section)
        return section

    def render(self) -> str:
        """The page as one HTML document."""
        from stemforge import __version__ as version

        created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        subtitle = f'<p class="subtitle">{escape(self.subtitle)}</p>' if self.subtitle else ""
        body = "\n".join(section.render() for section in self.sections)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(self.title)}</title><style>{_STYLE}</style></head>\n"
            f"<body><header><h1>{escape(self.title)}</h1>{subtitle}</header>\n{body}\n"
            f"<footer>stemforge {escape(version)} · {escape(created)}</footer></body></html>\n"
        )

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the page to ``path`` atomically (UTF-8)."""
        write_text_atomic(path, self.render())


__all__ = ["HtmlReport", "Section", "escape", "png_data_uri"]
