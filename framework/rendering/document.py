"""A small document model (sections of paragraphs, lists, tables, figures) and its renderers.

A report is built once as a :class:`Document`; :func:`to_html` (self-contained: images as
base64 data URIs, inline CSS, no scripts), :func:`to_markdown` (images as files referenced
relatively) and :func:`to_latex_table` (booktabs) render the same content;
:func:`to_markdown_table` renders one :class:`Table` alone. All text in the model is plain:
each renderer escapes it for its format (:mod:`framework.rendering.escape`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from framework.rendering.escape import escape_html, escape_latex, escape_md


@dataclass
class Paragraph:
    text: str
    lead: str = ""  # shown in bold before the text
    kind: str = ""  # "note" (small print) or "warn" (highlighted)


@dataclass
class Bullets:
    items: list[tuple[str, str]]  # (bold lead, text)


@dataclass
class Table:
    name: str  # file stem of the LaTeX table and HTML anchor
    caption: str
    header: list[str]
    rows: list[list[str]]
    groups: list[tuple[str, int]] | None = None  # an upper header row: (label, columns spanned)
    notes: list[str] = field(default_factory=list)
    align: str = ""  # one of l/r/c per column; default: first column l, the others r
    kinds: list[set[str]] = field(default_factory=list)  # per row: {"rule"} rule above, {"se"} a SE row

    def __post_init__(self):
        width = len(self.header)
        if not self.align:
            self.align = "l" + "r" * (width - 1)
        self.rows = [list(r) + [""] * (width - len(r)) for r in self.rows]
        if any(len(r) != width for r in self.rows):
            raise ValueError(f"table {self.name}: a row is wider than its header")
        if len(self.kinds) < len(self.rows):
            self.kinds = list(self.kinds) + [set() for _ in range(len(self.rows) - len(self.kinds))]
        if self.groups and sum(span for _, span in self.groups) != width:
            raise ValueError(f"table {self.name}: header groups span {sum(s for _, s in self.groups)} of {width} columns")


@dataclass
class Figure:
    name: str  # file stem of the PNG
    caption: str
    png: bytes
    alt: str = ""


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list = field(default_factory=list)
    level: int = 2


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


# --- HTML ---------------------------------------------------------------------------------------
CSS = """
:root { --ink:#1d2430; --muted:#5b6575; --line:#d5dae1; --soft:#f4f6f9; --accent:#2a5caa; --warn:#fff4e5; --bad:#b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header.top { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 10px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.subtitle { color: var(--muted); margin: 0; word-break: break-all; }
h2 { font-size: 21px; margin: 38px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 26px 0 8px; }
nav.toc { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; margin: 12px 0 8px; }
nav.toc ul { margin: 4px 0; padding-left: 4px; list-style: none; }
nav.toc a { color: var(--accent); text-decoration: none; }
p { margin: 8px 0; }
p.note { color: var(--muted); font-size: 13px; }
p.warn { background: var(--warn); border-left: 4px solid #e59b2f; padding: 6px 10px; }
ul.verdicts { padding-left: 20px; }
ul.verdicts li { margin: 6px 0; }
.scroll { overflow-x: auto; margin: 0 0 4px; }
table { border-collapse: collapse; font-size: 13.5px; font-variant-numeric: tabular-nums; }
p.tcap { font-weight: 600; margin: 18px 0 6px; }
span.st { display: inline-block; min-width: 1.7em; text-align: left; }
thead th { border-bottom: 1px solid var(--ink); }
table { border-top: 2px solid var(--ink); border-bottom: 2px solid var(--ink); }
th, td { padding: 3px 10px; vertical-align: top; }
th { font-weight: 600; text-align: center; }
td.l, th.l { text-align: left; }
td.r { text-align: right; white-space: nowrap; }
td.c { text-align: center; }
tr.rule td { border-top: 1px solid var(--line); }
tr.se td { color: var(--muted); padding-top: 0; }
tbody tr:not(.se):hover td { background: var(--soft); }
td.wrap { white-space: normal; max-width: 560px; word-break: break-word; }
.tnotes { color: var(--muted); font-size: 12.5px; margin: 2px 0 16px; }
.tnotes p { margin: 2px 0; }
figure { margin: 16px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
footer { margin-top: 48px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
"""


def to_html(doc: Document) -> str:
    e = escape_html
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(doc.title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body><main>",
        f'<header class="top"><h1>{e(doc.title)}</h1><p class="subtitle">{e(doc.subtitle)}</p></header>',
        '<nav class="toc"><strong>Contents</strong><ul>',
    ]
    out += [f'<li><a href="#{e(s.anchor)}">{e(s.title)}</a></li>' for s in doc.sections if s.level == 2]
    out.append("</ul></nav>")
    for section in doc.sections:
        tag = f"h{section.level}"
        out.append(f'<section id="{e(section.anchor)}"><{tag}>{e(section.title)}</{tag}>')
        out += [_html_block(b) for b in section.blocks]
        out.append("</section>")
    out.append("<footer>Generated by <code>python -m experiments.report</code> from the result records alone. "
               "Images are embedded; this page needs no network and no scripts.</footer>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def _html_block(block) -> str:
    e = escape_html
    if isinstance(block, Paragraph):
        cls = f' class="{block.kind}"' if block.kind else ""
        lead = f"<strong>{e(block.lead)}</strong> " if block.lead else ""
        return f"<p{cls}>{lead}{e(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(
            f"<li>{'<strong>' + e(lead) + '</strong> ' if lead else ''}{e(text)}</li>" for lead, text in block.items
        )
        return f'<ul class="verdicts">{items}</ul>'
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        return (
            f'<figure id="fig-{e(block.name)}"><img src="data:image/png;base64,{data}" alt="{e(block.alt or block.caption)}">'
            f"<figcaption>{e(block.caption)}</figcaption></figure>"
        )
    if isinstance(block, Table):
        return _html_table(block)
    raise TypeError(f"unknown block {type(block).__name__}")


def _html_table(t: Table) -> str:
    e = escape_html
    head = []
    if t.groups:
        cells = "".join(f'<th colspan="{span}">{e(label)}</th>' if span > 1 else f"<th>{e(label)}</th>" for label, span in t.groups)
        head.append(f"<tr>{cells}</tr>")
    head.append("<tr>" + "".join(f'<th class="{a}">{e(h)}</th>' if a == "l" else f"<th>{e(h)}</th>" for h, a in zip(t.header, t.align)) + "</tr>")
    # right-aligned columns with stars: the marks go in a fixed-width box so the digits line up
    marked = [a == "r" and any(_MARKS.match(str(row[i])).group(2) for row in t.rows) for i, a in enumerate(t.align)]
    body = []
    for row, kinds in zip(t.rows, t.kinds):
        cls = " ".join(sorted(kinds))
        tr = f'<tr class="{cls}">' if cls else "<tr>"
        cells = []
        for i, (value, a) in enumerate(zip(row, t.align)):
            klass = a + (" wrap" if a == "l" and len(str(value)) > 60 else "")
            if marked[i] and value != "":
                number_, marks = _MARKS.match(str(value)).groups()
                content = f'{e(number_)}<span class="st">{e(marks)}</span>'
            else:
                content = e(value)
            cells.append(f'<td class="{klass}">{content}</td>')
        body.append(tr + "".join(cells) + "</tr>")
    notes = "".join(f"<p>{e(n)}</p>" for n in t.notes)
    return (
        f'<p class="tcap" id="tab-{e(t.name)}">{e(t.caption)}</p>'
        f'<div class="scroll"><table>'
        f"<thead>{''.join(head)}</thead><tbody>{''.join(body)}</tbody></table></div>"
        + (f'<div class="tnotes">{notes}</div>' if notes else "")
    )


_MARKS = re.compile(r"^(.*?)([*\u2020]*)$", re.S)


# --- Markdown -----------------------------------------------------------------------------------
def to_markdown(doc: Document, figure_dir: str = "figures") -> str:
    out = [f"# {_md_text(doc.title)}", "", _md_text(doc.subtitle), "", "Contents:", ""]
    out += [f"{i}. [{_md_text(s.title)}](#{s.anchor})" for i, s in enumerate([s for s in doc.sections if s.level == 2], 1)]
    out.append("")
    for section in doc.sections:
        out += [f'<a id="{section.anchor}"></a>', "", f"{'#' * section.level} {_md_text(section.title)}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                lead = f"**{_md_text(block.lead)}** " if block.lead else ""
                text = _md_text(block.text)
                out += [f"{lead}{'*' + text + '*' if block.kind == 'note' else text}", ""]
            elif isinstance(block, Bullets):
                out += [f"- {'**' + _md_text(lead) + '** ' if lead else ''}{_md_text(text)}" for lead, text in block.items]
                out.append("")
            elif isinstance(block, Figure):
                out += [f"![{_md_text(block.alt or block.caption)}]({figure_dir}/{block.name}.png)", "", f"*{_md_text(block.caption)}*", ""]
            elif isinstance(block, Table):
                out += _md_table(block) + [""]
    return "\n".join(out).rstrip() + "\n"


def _md_text(value) -> str:
    """Running Markdown text (not a table cell): the same escaping keeps user text inert."""
    return escape_md(value)


def _md_table(t: Table) -> list[str]:
    e = escape_md
    header = list(t.header)
    if t.groups:
        labels = [label for label, span in t.groups for _ in range(span)]
        header = [f"{g} {h}".strip() if g and g != h else h for g, h in zip(labels, header)]
    sep = [":---" if a == "l" else ("---:" if a == "r" else ":---:") for a in t.align]
    lines = [f"**{e(t.caption)}**", "", "| " + " | ".join(e(h) for h in header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(e(c) for c in row) + " |" for row in t.rows]
    if t.notes:
        lines.append("")
        lines += [f"*{e(n)}*" for n in t.notes]
    return lines


# --- LaTeX --------------------------------------------------------------------------------------
def to_latex_table(t: Table) -> str:
    """One booktabs ``table`` float; user text escaped, so the file compiles as it is."""
    x = escape_latex
    lines = [
        "% Generated by python -m experiments.report; needs \\usepackage{booktabs}.",
        "\\begin{table}[htbp]",
        "\\centering",
        "\\small",
        f"\\caption{{{x(t.caption)}}}",
        f"\\label{{tab:{_label(t.name)}}}",
        f"\\begin{{tabular}}{{{t.align}}}",
        "\\toprule",
    ]
    if t.groups:
        cells, rules, col = [], [], 1
        for label, span in t.groups:
            if span > 1:
                cells.append(f"\\multicolumn{{{span}}}{{c}}{{{x(label)}}}")
                if label:
                    rules.append(f"\\cmidrule(lr){{{col}-{col + span - 1}}}")
            else:
                cells.append(x(label))
            col += span
        lines.append(" & ".join(cells) + " \\\\")
        if rules:
            lines.append(" ".join(rules))
    lines.append(" & ".join(x(h) for h in t.header) + " \\\\")
    lines.append("\\midrule")
    for row, kinds in zip(t.rows, t.kinds):
        if "rule" in kinds:
            lines.append("\\midrule")
        lines.append(" & ".join(x(c) for c in row) + " \\\\")
    lines.append("\\bottomrule")
    lines.append("\\end{tabular}")
    if t.notes:
        lines.append("\\par\\smallskip")
        lines.append("\\parbox{\\linewidth}{\\footnotesize " + " ".join(x(n) for n in t.notes) + "}")
    lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


def _label(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-:" else "-" for ch in name)


def to_markdown_table(t: Table) -> str:
    """One table as Markdown (caption, header, rows, notes), as it appears in ``report.md``."""
    return "\n".join(_md_table(t)) + "\n"
