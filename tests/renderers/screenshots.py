"""Make the format screenshots of docs/reports.md from the sample document:

    PYTHONPATH=src:. python -m tests.renderers.screenshots docs/img

- ``docx-libreoffice.png``: the Word file opened in LibreOffice (``soffice --convert-to pdf``,
  then ``pdftoppm``) — page 2, the indicator and village tables. LibreOffice runs with a private
  fontconfig file that maps the Windows font names (仿宋_GB2312, 黑体 …) to Debian's Noto CJK
  fonts, as a Linux desktop with those aliases shows the file;
- ``pdf-page.png``: page 1 of the PDF printed by :class:`commeval.renderers.pdf.PdfPrinter`.

Needs LibreOffice Writer (``apt-get install libreoffice-writer``), chromium, poppler-utils and
fonts-noto-cjk; not run by the tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
{aliases}
</fontconfig>
"""
ALIASES = {
    "仿宋_GB2312": "Noto Serif CJK SC",
    "仿宋": "Noto Serif CJK SC",
    "楷体_GB2312": "Noto Serif CJK SC",
    "楷体": "Noto Serif CJK SC",
    "宋体": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC",
}


def _png(pdf: Path, page: int, out: Path, dpi: int) -> None:
    from PIL import Image

    stem = out.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-png",
         str(pdf), str(stem)],
        check=True,
    )  # fmt: skip
    img = Image.open(out).convert("P", palette=Image.Palette.ADAPTIVE, colors=128)
    img.save(out, optimize=True)


def main(folder: str) -> None:
    from commeval.renderers.docx import render_docx
    from commeval.renderers.pdf import PdfPrinter

    from .sample_doc import township_document
    from .test_pdf import page_html

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "sample.docx").write_bytes(render_docx(township_document()))
        aliases = "\n".join(
            f'  <alias binding="same"><family>{a}</family><prefer><family>{b}</family>'
            "</prefer></alias>"
            for a, b in ALIASES.items()
        )
        (t / "fonts.conf").write_text(FONTCONFIG.format(aliases=aliases), encoding="utf-8")
        env = {**os.environ, "FONTCONFIG_FILE": str(t / "fonts.conf"), "HOME": tmp}
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(t / "sample.docx")],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        _png(t / "sample.pdf", 3, out / "docx-libreoffice.png", 110)
        with PdfPrinter() as printer:
            pdf = printer.print_html(
                page_html(township_document(villages=30)), header="清河县城关镇　2024年度"
            )
        (t / "page.pdf").write_bytes(pdf)
        _png(t / "page.pdf", 1, out / "pdf-page.png", 90)
    print(f"wrote {out / 'docx-libreoffice.png'} and {out / 'pdf-page.png'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/img")
