"""Renderers: a composed :class:`commeval.document.Document` into a file format.

- :mod:`commeval.renderers.html` — the report page (what readers see in a browser, and what the
  notebooks display section by section);
- :mod:`commeval.renderers.docx` — an editable Word file in 公文 layout (python-docx);
- :mod:`commeval.renderers.pdf` — a print-ready PDF of each page, one browser or office process
  for a whole run;
- :mod:`commeval.renderers.xlsx` — a document table as an Excel workbook (the ranking);
- :mod:`commeval.renderers.untrusted` — what a notebook section carries for a notebook
  JupyterLab does not trust (used by :func:`commeval.renderers.html.notebook_fragment`).

Renderers read documents only: they import the document model and the ground floor (fonts,
files), never the content that composed the document (``commeval.report``), the evaluated
district or the engines — the import contract (.importlinter) enforces it. Each submodule is
imported on demand, so a run that writes only HTML never imports python-docx.
"""
