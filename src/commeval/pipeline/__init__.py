"""Running the report notebooks at scale: warm kernels, HTML export, caching and publishing.

Orchestration only (no statistics): :func:`commeval.pipeline.run.run` with a
:class:`commeval.pipeline.config.RunConfig` is the entry point behind ``commeval reports``
(:func:`commeval.cli.reports` prints its outcome and picks the exit code).
"""
