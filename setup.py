"""The docs ship with the package: ``build_py`` copies ``docs/*.md`` (and ``docs/img/``) into
``commeval/docs/`` of the wheel, where ``commeval docs`` finds them (``commeval.paths.docs_dir``).
Everything else is configured in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithDocs(build_py):
    def run(self) -> None:
        super().run()
        src = HERE / "docs"
        if not src.is_dir():
            return
        out = Path(self.build_lib) / "commeval" / "docs"
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(src.glob("*.md")):
            shutil.copy2(f, out / f.name)
        if (src / "img").is_dir():
            shutil.copytree(src / "img", out / "img", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithDocs})
