"""Reports: a self-contained HTML page builder (``html``), PNG plots (``plots``), text rows
shared with the terminal (``summary``), and the loudness page (``loudness_page``).

``plots`` and ``loudness_page`` import matplotlib; import them where a figure is drawn.
"""

from stemforge.report.html import HtmlReport, Section, escape, png_data_uri

__all__ = ["HtmlReport", "Section", "escape", "png_data_uri"]
