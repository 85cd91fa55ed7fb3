"""Running the report notebooks at scale: warm kernels, HTML export, caching and publishing.

Orchestration only (no statistics): :func:`commeval.pipeline.run.run_reports` is the entry point
behind ``commeval reports``.
"""
