"""Print-ready PDF of a report page: headless Chromium prints the HTML page with its print CSS.

One browser for a whole run (:class:`PdfPrinter`, a context manager), not one per page: each
page is a fresh tab in the same browser (≈ 0.2–0.4 s a page, against ≈ 1 s to start Chromium).
Chromium is the system's (Debian ``chromium``, Chrome or Edge; or ``COMMEVAL_CHROMIUM`` naming
the executable), driven through playwright (``pip install 'commeval[pdf]'``) — no browser is
downloaded. The page's print rules (``templates/report.css``, ``@media print``/``@page``) set A4,
margins that leave room for the running header and the page number, tables whose rows are not
cut and charts that are not split, and no scroll boxes; Chromium adds the running header
(township and year) and "— N —" in the footer, in a font embedded like the page's own (only the
glyphs used), and embeds every font it prints with.

Waiting is on conditions — the page's ``load`` event and ``document.fonts.ready`` — never on a
timer. Where no PDF can be made, :func:`pdf_unavailable` says in one Chinese line what to
install, and the caller still writes the other formats.

Fallback where Chromium is missing but LibreOffice is installed: :func:`docx_to_pdf` converts
the run's Word files in ONE ``soffice`` process (no running header from the page: the Word
file's own header and PAGE footer print).
"""

from __future__ import annotations

import base64
import html as _html
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from commeval.document import Meta

__all__ = [
    "CHROMIUM_ARGS",
    "PdfPrinter",
    "chromium_path",
    "docx_to_pdf",
    "office_path",
    "pdf_unavailable",
    "running_header",
]

#: Flags for a headless browser on a build machine or an intranet PC: no sandbox (containers run
#: as root), no GPU, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--font-render-hinting=none",
]
_CANDIDATES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "msedge",
)
_WINDOWS = (
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
)
#: Page margins of the printed PDF (the CSS ``@page`` rule in report.css sets the same).
MARGIN = {"top": "22mm", "bottom": "20mm", "left": "16mm", "right": "16mm"}
_TIMEOUT_MS = 120_000


def running_header(meta: Meta) -> str:
    """The running header of a document's pages (Word and PDF): township (or the district's
    summary) and year — "清河县城关镇　2024年度", "清河县汇总　2024年度"."""
    place = f"{meta.district}{meta.township}" if meta.township else ""
    if not place and meta.district:
        place = f"{meta.district}汇总"
    year = f"{meta.year}年度" if meta.year else ""
    return "　".join(t for t in (place, year) if t) or meta.title


def chromium_path() -> str | None:
    """The Chromium (or Chrome/Edge) executable to print with, or ``None``."""
    env = os.environ.get("COMMEVAL_CHROMIUM")
    if env:
        return env if os.path.isfile(env) else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if os.name == "nt":  # pragma: no cover - Windows machines
        for path in _WINDOWS:
            if os.path.isfile(path):
                return path
    return None


def pdf_unavailable() -> str | None:
    """``None`` when a PDF can be printed here; otherwise one Chinese line saying what to
    install."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "无法生成 PDF：缺少 playwright 包，请安装 pip install 'commeval[pdf]'"
            "（并需本机有 Chromium：Debian 上 apt-get install chromium）；其他格式照常生成。"
        )
    if chromium_path() is None:
        return (
            "无法生成 PDF：未找到 Chromium，请安装 chromium（Debian: apt-get install chromium；"
            "Windows: 安装 Chrome 或 Edge），或用环境变量 COMMEVAL_CHROMIUM 指定浏览器路径；"
            "其他格式照常生成。"
        )
    return None


def _font_face(chars: str) -> str:
    """An ``@font-face`` with just ``chars`` of the bundled CJK font, for the header and footer
    (Chromium draws them apart from the page, so the page's own font does not reach them)."""
    try:
        from commeval.fonts import subset_font

        data = base64.b64encode(subset_font(chars)).decode("ascii")
    except Exception:  # pragma: no cover - no bundled font: the system's CJK font serves
        return ""
    return (
        "@font-face{font-family:'commeval header';"
        f"src:url(data:font/woff;base64,{data}) format('woff');}}"
    )


_FACE = re.compile(r"@font-face\s*\{[^{}]*\}")
_FAMILY = re.compile(r"font-family:\s*'([^']+)'")


def _templates(html: str, header: str, footer: bool) -> tuple[str, str]:
    """Chromium's header and footer templates. They are drawn apart from the page, so the
    page's fonts do not reach them: they reuse the page's own embedded ``@font-face`` rules
    (which cover the page's words, the township's name among them), or, for a page without
    any, a subset of the bundled font with just their characters."""
    faces = _FACE.findall(html)
    if not faces:
        faces = [_font_face(header + "— 0123456789")] if (header or footer) else []
        faces = [f for f in faces if f]
    families = list(dict.fromkeys(_FAMILY.findall("".join(faces))))
    stack = ",".join([*(f"'{f}'" for f in families), "'Noto Sans CJK SC'", "'Microsoft YaHei'", "sans-serif"])  # fmt: skip
    font = f"font-family:{stack};"
    base = f"<style>{''.join(faces)}</style>" if faces else ""
    head = (
        f'{base}<div style="{font}font-size:8.5pt;color:#555;width:100%;text-align:center;'
        f'margin:0 16mm;padding-top:8mm;">{_html.escape(header)}</div>'
        if header
        else "<span></span>"
    )
    foot = (
        f'{base}<div style="{font}font-size:10pt;width:100%;text-align:center;'
        'margin:0 16mm;">— <span class="pageNumber"></span> —</div>'
        if footer
        else "<span></span>"
    )
    return head, foot


class PdfPrinter:
    """One headless Chromium for a whole run; :meth:`print_html` prints a page to PDF bytes.

    >>> with PdfPrinter() as printer:                       # doctest: +SKIP
    ...     pdf = printer.print_html(page_html, header="清河县城关镇　2024年度")
    """

    def __init__(self, executable: str | None = None) -> None:
        self.executable = executable or chromium_path()
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None

    def __enter__(self) -> PdfPrinter:
        problem = None if self.executable else pdf_unavailable()
        if problem is None:
            problem = _missing_playwright()
        if problem:
            raise RuntimeError(problem)
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable, args=CHROMIUM_ARGS
            )
            # offline: a report page loads nothing from the network (fonts and charts inline)
            self._context = self._browser.new_context(offline=True)
        except Exception:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the browser (idempotent)."""
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = self._context = None
            if self._pw is not None:
                self._pw.stop()
                self._pw = None

    def print_html(self, html: str, header: str = "", footer: bool = True) -> bytes:
        """``html`` printed to PDF: A4, the page's print CSS, ``header`` as the running header
        of every page, "— N —" page numbers in the footer when ``footer``. A browser that died
        is started again once; a failure raises ``RuntimeError`` with a Chinese message."""
        if self._context is None:
            raise RuntimeError("PdfPrinter 未启动：请在 with PdfPrinter() as printer: 中使用")
        if not self._browser.is_connected():
            self._restart()
        from playwright.sync_api import Error as PlaywrightError

        try:
            return self._print(html, header, footer)
        except PlaywrightError as e:
            if self._browser.is_connected():
                raise RuntimeError(f"PDF 打印失败：{_first_line(e)}") from e
        self._restart()
        try:
            return self._print(html, header, footer)
        except PlaywrightError as e:
            raise RuntimeError(f"PDF 打印失败（浏览器已重启一次）：{_first_line(e)}") from e

    def _print(self, html: str, header: str, footer: bool) -> bytes:
        page = self._context.new_page()
        try:
            page.set_default_timeout(_TIMEOUT_MS)
            page.set_content(html, wait_until="load")
            page.evaluate("() => document.fonts.ready.then(() => document.fonts.size)")
            head, foot = _templates(html, header, footer)
            return page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=bool(header or footer),
                header_template=head,
                footer_template=foot,
                margin=MARGIN,
                prefer_css_page_size=True,
            )
        finally:
            try:
                page.close()
            except Exception:  # noqa: BLE001 - the browser may be gone already
                pass

    def _restart(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        except Exception:  # noqa: BLE001 - a dead browser cannot close cleanly
            pass
        self._browser = self._pw.chromium.launch(
            executable_path=self.executable, args=CHROMIUM_ARGS
        )
        self._context = self._browser.new_context(offline=True)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _missing_playwright() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return pdf_unavailable()
    return None


def office_path() -> str | None:
    """The LibreOffice executable (``soffice``/``libreoffice``), or ``None``."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def docx_to_pdf(files: Mapping[str, bytes], timeout: float = 600) -> dict[str, bytes]:
    """Word files (name → .docx bytes) as PDFs (name → .pdf bytes), converted by ONE headless
    LibreOffice process with a private profile (so an open LibreOffice window neither blocks
    nor swallows the conversion). Raises ``RuntimeError`` with a Chinese message when
    LibreOffice is missing or a file was not converted."""
    soffice = office_path()
    if soffice is None:
        raise RuntimeError("无法用 LibreOffice 生成 PDF：未找到 soffice（Debian: apt-get install libreoffice-writer）")  # fmt: skip
    if not files:
        return {}
    names = list(files)
    with tempfile.TemporaryDirectory(prefix="commeval-office-") as tmp:
        root = Path(tmp)
        sources = []
        for i, name in enumerate(names):
            src = root / f"{i}.docx"
            src.write_bytes(files[name])
            sources.append(str(src))
        profile = (root / "profile").as_uri()
        proc = subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(root / "out"), *sources],
            capture_output=True, timeout=timeout, env={**os.environ, "HOME": tmp},
        )  # fmt: skip
        out = {}
        for i, name in enumerate(names):
            pdf = root / "out" / f"{i}.pdf"
            if not pdf.is_file():
                detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                raise RuntimeError(f"LibreOffice 未能把 {name} 转成 PDF：{detail[0]}")
            out[name] = pdf.read_bytes()
    return out
