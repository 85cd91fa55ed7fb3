"""Running the report notebooks at scale: warm kernels, HTML export, caching and publishing.

Orchestration only (no statistics): :func:`commeval.pipeline.run.run` with a
:class:`commeval.pipeline.config.RunConfig` is the entry point behind ``commeval reports``
(:func:`commeval.cli.reports` prints its outcome and picks the exit code).
"""

import sys as _sys

# A batch run's processes (the CLI's parent, each spawned worker) import nbformat, hence
# jsonschema, whose optional IRI format checker ``rfc3987_syntax`` compiles a Lark grammar when
# imported: 1.5–3 s of CPU in every process, before any report, for a format no notebook
# schema uses. The pipeline's processes go without that checker (jsonschema skips a format whose
# library cannot be imported); a process that already imported it keeps it.
_sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
